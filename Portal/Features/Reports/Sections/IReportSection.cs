namespace Portal.Features.Reports.Sections;

/// <summary>
/// One source of the baseline report, read through the feature that owns it. Its reads run in the order the sections
/// are registered; a read that fails names its source in the report's appendix and the others go on.
/// </summary>
public interface IReportSection
{
    IEnumerable<ReportRead> Reads(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken);
}

/// <summary>A read of a source, named for the appendix when it fails.</summary>
public sealed record ReportRead(string Source, Func<Task> Read);
