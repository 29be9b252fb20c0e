using System.ComponentModel.DataAnnotations;

namespace Portal.Features.Prometheus;

public sealed class PrometheusOptions
{
    public const string Section = "Prometheus";

    /// <summary>Base address of the Prometheus server, e.g. <c>http://127.0.0.1:9090</c>.</summary>
    [Required(ErrorMessage = "Prometheus:Url is required (`./portal up` sets it for the bundled Prometheus).")]
    [Url(ErrorMessage = "Prometheus:Url must be an absolute http(s) URL.")]
    public string Url { get; set; } = "";

    /// <summary>Time allowed for one request attempt; the whole call, retries included, gets twice that.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;
}
