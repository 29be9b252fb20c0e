using Portal.Components;
using Portal.Features.Prometheus;

namespace Portal.Features.Reports.Sections;

/// <summary>
/// System resource utilisation over the period, from every node_exporter the Prometheus scrapes (the Prometheus
/// feature's <see cref="NodeUtilisation"/>): each host's CPU, memory, disk and network at p95 and peak, and a host whose
/// CPU or memory ran above <see cref="Busy"/> most of the time (p95) or whose disk filled past it as a finding.
/// </summary>
internal sealed class InfrastructureSection(NodeUtilisation nodes) : IReportSection
{
    public const double Busy = 0.9;

    public IEnumerable<ReportRead> Reads(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        yield return new("node_exporter (Prometheus)", async () =>
        {
            var hosts = await nodes.ReadAsync(period.Start, period.End, cancellationToken);
            string Cell(NodeInstance host, NodeResource resource) => host.Resources.GetValueOrDefault(resource.Name) is { } figure
                ? $"{NodeUtilisation.Format(figure.P95, resource.Unit)} / {NodeUtilisation.Format(figure.Peak, resource.Unit)}"
                : "—";
            draft.Details.Add(new DetailSection("Infrastructure", "Hosts (node_exporter): p95 / peak",
                ["Instance", .. NodeUtilisation.Resources.Select(resource => resource.Name)],
                hosts.Select(host => new DetailRow(host.Instance, NodeUtilisation.Resources.Select(resource => Cell(host, resource)).ToList(), PortalLinks.Overview)).ToList(),
                "Prometheus scrapes no node_exporter: add your hosts' exporters to its scrape jobs (./portal up runs one for its own host)."));
            foreach (var host in hosts)
            {
                foreach (var (resource, figure, share) in new[] { ("CPU", "p95", true), ("Memory", "p95", true), ("Disk", "peak", false) }
                    .Select(check => (check.Item1, host.Resources.GetValueOrDefault(check.Item1), check.Item3))
                    .Where(check => check.Item2 is not null))
                {
                    var value = share ? figure!.P95 : figure!.Peak;
                    if (value >= Busy)
                    {
                        draft.Findings.Add(new Finding("infrastructure", $"{resource} of {host.Instance} at {NodeUtilisation.Format(value, "ratio")} ({(share ? "p95" : "peak")})",
                            $"{NodeUtilisation.Resources.Single(each => each.Name == resource).Meaning}; p95 {NodeUtilisation.Format(figure.P95, "ratio")}, peak {NodeUtilisation.Format(figure.Peak, "ratio")}",
                            PortalLinks.Overview));
                    }
                }
            }
        });
    }
}
