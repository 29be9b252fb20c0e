namespace Portal.Features.Reports.Sections;

/// <summary>What the sections write as they read their sources; the builder turns it into the report.</summary>
public sealed class ReportDraft
{
    public List<Opportunity> Opportunities { get; } = [];
    public List<Movement> Movements { get; } = [];
    public List<DetailSection> Details { get; } = [];
    public List<Finding> Findings { get; } = [];
    public List<ObjectiveLine> Objectives { get; } = [];
    public List<string> Gaps { get; } = [];
    public Dictionary<string, (double? Current, double? Previous)> Figures { get; } = [];

    /// <summary>The readiness verdict from the load tests (<see cref="LabSection"/>); null when they could not be read.</summary>
    public ReportReadiness? Readiness { get; set; }

    /// <summary>Appendix B: what produced the lab and load figures, one line each.</summary>
    public List<string> TestConfigurations { get; } = [];

    /// <summary>Appendix A: the raw data behind figures, beside the key metrics' CSV.</summary>
    public List<RawDataLink> RawData { get; } = [];

    /// <summary>Where a key metric came from, when not from its usual source (the SLA objectives' SLIs).</summary>
    public Dictionary<string, string> Sources { get; } = [];

    public string RequestsFrom { get; set; } = "Prometheus";
    public Dictionary<DateTimeOffset, (double? Api, double? PageLoad)> Daily { get; } = [];
    public long PageViews { get; set; }
    public long Requests { get; set; }
    public int DaysWithoutPrometheus { get; set; }
    public int Snapshots { get; set; }

    /// <summary>Every statement's calls and time, summed over the targets: the mean is their quotient.</summary>
    public (long Calls, double TimeMs) Database { get; set; }
    public (long Calls, double TimeMs) DatabaseBefore { get; set; }
}
