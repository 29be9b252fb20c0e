using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Portal.Features.Auth;

/// <summary>
/// The data-protection key ring in the portal's PostgreSQL (<c>data_protection_keys</c>): every web replica signs and
/// reads cookies and antiforgery tokens with the same keys, and a restarted container (no home folder) keeps them.
/// ASP.NET Core's key manager does the rest: a new key 2 days before the current one's 90 days end, old keys kept
/// to read what they signed.
/// </summary>
public sealed class PostgresKeyRing(NpgsqlDataSource dataSource) : IXmlRepository
{
    // The key manager calls these synchronously (once at start, then at each key-ring refresh, about daily).
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = dataSource.OpenConnection();
        return connection.Query<string>("SELECT xml FROM data_protection_keys ORDER BY id")
            .Select(xml => XElement.Parse(xml))
            .ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = dataSource.OpenConnection();
        connection.Execute(
            "INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@friendlyName, @xml)",
            new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }

    /// <summary>
    /// Creates the first key once, however many replicas start together: under an advisory lock, the first replica
    /// creates it and the others read it (otherwise each would make its own and, for up to a day, refuse the others').
    /// </summary>
    public static async Task EnsureKeyAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        const long lockKey = 0x706F7274616C + 1; // beside the migrator's key
        await using var connection = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@lockKey)", new { lockKey }, cancellationToken: cancellationToken));
        try
        {
            // The first protection loads the key ring, creating the key when none is usable.
            services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Portal.KeyRing").Protect([1]);
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@lockKey)", new { lockKey });
        }
    }
}

/// <summary>Where the key ring's keys are protected at rest (optional).</summary>
public sealed class KeyRingOptions
{
    public const string Section = "DataProtection";

    /// <summary>A PKCS#12 (.pfx) certificate with its private key: keys are stored encrypted to it.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The .pfx file's password (configuration or environment, never a file in the repository).</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Certificates replaced by <see cref="CertificatePath"/>, still needed to read the keys they protected.</summary>
    public List<string> PreviousCertificatePaths { get; set; } = [];
}

public static class KeyRingServiceCollectionExtensions
{
    /// <summary>The application's name in the key ring: the same for every replica wherever it is installed.</summary>
    public const string ApplicationName = "Portal";

    public static IServiceCollection AddPortalKeyRing(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(KeyRingOptions.Section).Get<KeyRingOptions>() ?? new KeyRingOptions();
        var builder = services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton<PostgresKeyRing>();
        services.AddOptions<KeyManagementOptions>()
            .Configure<PostgresKeyRing>((options, keyRing) => options.XmlRepository = keyRing);

        if (!string.IsNullOrEmpty(settings.CertificatePath))
        {
            var certificate = Load(settings.CertificatePath, settings.CertificatePassword);
            builder.ProtectKeysWithCertificate(certificate)
                .UnprotectKeysWithAnyCertificate([certificate, .. settings.PreviousCertificatePaths.Select(path => Load(path, settings.CertificatePassword))]);
        }
        return services;
    }

    private static X509Certificate2 Load(string path, string? password)
    {
        if (!File.Exists(path))
        {
            throw new OptionsValidationException(KeyRingOptions.Section, typeof(KeyRingOptions),
                [$"{KeyRingOptions.Section}:CertificatePath: '{path}' does not exist."]);
        }
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        return certificate.HasPrivateKey
            ? certificate
            : throw new OptionsValidationException(KeyRingOptions.Section, typeof(KeyRingOptions),
                [$"{KeyRingOptions.Section}:CertificatePath: '{path}' has no private key: the key ring could not be read back."]);
    }
}
