using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Portal.Features.Reports;

/// <summary>
/// SMTP, from configuration or the environment (<c>Smtp__Host</c>, <c>Smtp__Port</c>, …). <see cref="Password"/> is a
/// secret: never shown, never logged.
/// </summary>
public sealed class SmtpOptions
{
    public const string Section = "Smtp";

    public string? Host { get; set; }
    public int Port { get; set; } = 25;

    /// <summary><c>none</c>, <c>starttls</c> (upgrade a plain connection, required) or <c>tls</c> (implicit TLS, port 465).</summary>
    public string Security { get; set; } = "none";

    public string? Username { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "Portal <portal@localhost>";
    public int TimeoutSeconds { get; set; } = 30;
}

/// <summary>Sends a message over SMTP with MailKit; an error names the server, never the credentials.</summary>
public sealed class ReportMailer(IOptions<SmtpOptions> options)
{
    public bool Configured => options.Value.Host is { Length: > 0 };

    public MailboxAddress From => MailboxAddress.Parse(options.Value.From);

    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken = default)
    {
        var smtp = options.Value;
        if (smtp.Host is not { Length: > 0 } host)
        {
            throw new InvalidOperationException("No SMTP server is configured (set Smtp:Host, environment Smtp__Host)");
        }
        using var client = new SmtpClient { Timeout = smtp.TimeoutSeconds * 1000 };
        var security = smtp.Security.ToLowerInvariant() switch
        {
            "tls" => SecureSocketOptions.SslOnConnect,
            "starttls" => SecureSocketOptions.StartTls,
            _ => SecureSocketOptions.None,
        };
        await client.ConnectAsync(host, smtp.Port, security, cancellationToken);
        if (smtp.Username is { Length: > 0 } user)
        {
            await client.AuthenticateAsync(user, smtp.Password ?? "", cancellationToken);
        }
        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(true, cancellationToken);
    }
}
