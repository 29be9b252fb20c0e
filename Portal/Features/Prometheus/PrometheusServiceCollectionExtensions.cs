using System.Net.Sockets;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Portal.Features.Prometheus;

public static class PrometheusServiceCollectionExtensions
{
    public static IServiceCollection AddPrometheusClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PrometheusOptions>()
            .Bind(configuration.GetSection(PrometheusOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // One named HttpClient per configured server (the default one included), each with its own pipeline.
        var configured = configuration.GetSection(PrometheusOptions.Section).Get<PrometheusOptions>() ?? new PrometheusOptions();
        foreach (var server in configured.AllServers.Keys)
        {
            services.AddHttpClient(PrometheusClient.HttpClientName(server), (sp, http) =>
                {
                    var options = sp.GetRequiredService<IOptions<PrometheusOptions>>().Value;
                    http.BaseAddress = new Uri(options.AllServers[server]);
                    http.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline owns time-outs
                })
                .AddResilienceHandler($"prometheus-{server}", (pipeline, context) =>
                {
                    var options = context.ServiceProvider.GetRequiredService<IOptions<PrometheusOptions>>().Value;
                    var attempt = TimeSpan.FromSeconds(options.TimeoutSeconds);
                    pipeline
                        .AddTimeout(attempt * 2)
                        .AddRetry(new HttpRetryStrategyOptions
                        {
                            MaxRetryAttempts = 2,
                            Delay = TimeSpan.FromMilliseconds(200),
                            BackoffType = DelayBackoffType.Exponential,
                            ShouldHandle = args => ValueTask.FromResult(IsRetryable(args.Outcome)),
                        })
                        .AddTimeout(attempt);
                });
        }
        services.AddSingleton<PrometheusClient>();
        services.AddSingleton<NodeUtilisation>();
        services.AddSingleton(sp => sp.GetRequiredService<PrometheusClient>().Api());
        return services;
    }

    // Connection errors, attempt time-outs and 5xx are worth another try; a 4xx (bad PromQL) never is.
    private static bool IsRetryable(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException { InnerException: SocketException } } => true,
        { Exception: HttpRequestException { StatusCode: null } } => true,
        { Exception: TimeoutRejectedException } => true,
        { Result: { } response } => (int)response.StatusCode >= 500,
        _ => false,
    };
}
