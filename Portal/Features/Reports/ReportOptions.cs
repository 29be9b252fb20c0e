namespace Portal.Features.Reports;

/// <summary>The report's targets (the executive summary's "target" column) and where its figures come from.</summary>
public sealed class ReportOptions
{
    public const string Section = "Reports";

    /// <summary>Page load: Web Vitals' LCP p95, at most (web.dev's "good" LCP).</summary>
    public double PageLoadP95TargetMs { get; set; } = 2_500;

    /// <summary>API response p95 from Prometheus's request-duration histogram, at most.</summary>
    public double ApiP95TargetMs { get; set; } = 1_000;

    /// <summary>Database query time: mean time per call over every statement of the targets, at most.</summary>
    public double QueryMeanTargetMs { get; set; } = 100;

    /// <summary>Share of requests answered 5xx, at most (the seed's error-rate alert).</summary>
    public double ErrorRateTarget { get; set; } = 0.01;

    /// <summary>
    /// The executive summary's readiness: "Ready for this many concurrent users" rests on the latest load test at or
    /// above it, judged against the API p95 and error-rate targets above.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10_000_000)]
    public int ReadinessUsers { get; set; } = 1000;

    /// <summary>Redis hit ratio, at least (the seed's cache objective).</summary>
    public double CacheHitRatioTarget { get; set; } = 0.8;

    /// <summary>Prometheus: the request-duration histogram (seconds), the request counter (with a <c>code</c> label) and the label naming a service.</summary>
    public string RequestDurationMetric { get; set; } = "http_request_duration_seconds";
    public string RequestsMetric { get; set; } = "http_requests_received_total";
    public string ServiceLabel { get; set; } = "job";

    /// <summary>
    /// Domains whose addresses any user may subscribe (e.g. <c>example.com</c>); otherwise a non-admin subscribes only
    /// their own address (their login, when it is an e-mail address).
    /// </summary>
    public List<string> AllowedRecipientDomains { get; set; } = [];

    /// <summary>The portal's address, for the links of the e-mail (the top-level <c>PortalUrl</c> unless set).</summary>
    public string? PortalUrl { get; set; }
}
