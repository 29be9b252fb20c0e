using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.Extensions.Options;

namespace Portal.Hosting;

/// <summary>
/// The proxies (HAProxy, nginx, a cloud load balancer) whose <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c>
/// headers are believed. None by default: a portal reached directly ignores those headers, so no client can claim
/// another address (rate limits, the audit log) or https. Behind a trusted proxy the request looks as the browser
/// sent it: its scheme (cookies <c>Secure</c> under https), its host, its client address.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of trusted proxies, e.g. <c>10.0.0.5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation, e.g. <c>10.0.0.0/8</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

/// <summary>Reports every malformed address or network at once, at start.</summary>
public sealed class ForwardedHeadersSettingsValidator : IValidateOptions<ForwardedHeadersSettings>
{
    public ValidateOptionsResult Validate(string? name, ForwardedHeadersSettings options)
    {
        var errors = options.KnownProxies.Where(proxy => !IPAddress.TryParse(proxy, out _))
            .Select(proxy => $"ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address.")
            .Concat(options.KnownNetworks.Where(network => !IPNetwork.TryParse(network, out _))
                .Select(network => $"ForwardedHeaders:KnownNetworks: '{network}' is not a network in CIDR notation (10.0.0.0/8)."))
            .ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>The address of the TCP peer (the proxy itself when there is one), kept before forwarded headers apply.</summary>
public sealed record ConnectionPeer(IPAddress? Address);

public static class ForwardedHeadersExtensions
{
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ForwardedHeadersSettings>()
            .Bind(configuration.GetSection(ForwardedHeadersSettings.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ForwardedHeadersSettings>, ForwardedHeadersSettingsValidator>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((forwarded, settings) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // ASP.NET Core trusts loopback by default; the portal trusts only what is configured.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in settings.Value.KnownProxies)
            {
                if (IPAddress.TryParse(proxy, out var address)) forwarded.KnownProxies.Add(address);
            }
            foreach (var network in settings.Value.KnownNetworks)
            {
                if (IPNetwork.TryParse(network, out var parsed)) forwarded.KnownIPNetworks.Add(parsed);
            }
            // A chain of trusted proxies (a CDN, then HAProxy) is walked from the right until the first untrusted hop.
            forwarded.ForwardLimit = null;
        });
        return services;
    }

    /// <summary>First in the pipeline: the peer is remembered, then the trusted proxy's headers apply.</summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app)
    {
        app.Use((context, next) =>
        {
            context.Features.Set(new ConnectionPeer(context.Connection.RemoteIpAddress));
            return next();
        });
        return app.UseForwardedHeaders();
    }

    /// <summary>The TCP peer of the request (before forwarded headers), for checks that concern the proxy itself.</summary>
    public static IPAddress? PeerAddress(this HttpContext context) =>
        context.Features.Get<ConnectionPeer>()?.Address ?? context.Connection.RemoteIpAddress;
}
