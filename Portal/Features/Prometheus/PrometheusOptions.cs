using System.ComponentModel.DataAnnotations;

namespace Portal.Features.Prometheus;

public sealed class PrometheusOptions
{
    public const string Section = "Prometheus";

    /// <summary>The name of the server at <see cref="Url"/>: the default one.</summary>
    public const string DefaultServer = "default";

    /// <summary>Base address of the default Prometheus, e.g. <c>http://127.0.0.1:9090</c>.</summary>
    [Required(ErrorMessage = "Prometheus:Url is required (`./portal up` sets it for the bundled Prometheus).")]
    [Url(ErrorMessage = "Prometheus:Url must be an absolute http(s) URL.")]
    public string Url { get; set; } = "";

    /// <summary>Further Prometheus servers by name (name → base address), queried with <c>server=name</c>.</summary>
    public Dictionary<string, string> Servers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Time allowed for one request attempt; the whole call, retries included, gets twice that.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;

    public IReadOnlyDictionary<string, string> AllServers =>
        new Dictionary<string, string>(Servers, StringComparer.OrdinalIgnoreCase) { [DefaultServer] = Url };
}
