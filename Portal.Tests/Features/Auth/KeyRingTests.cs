using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Portal.Data;
using Portal.Features.Auth;
using Portal.Features.Jobs;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Auth;

/// <summary>
/// The data-protection key ring in PostgreSQL, seen from several replicas (each its own service provider, as each
/// process has). The cross-process proof (two web processes with their own home folders) is in ScaleOutTests.
/// </summary>
public sealed class KeyRingTests : IAsyncLifetime
{
    private TestDatabase database = null!;
    private readonly List<ServiceProvider> replicas = [];

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        await using var dataSource = database.CreateDataSource();
        await new DatabaseMigrator(dataSource, [new HangfireSchema()], NullLoggerFactory.Instance, NullLogger<DatabaseMigrator>.Instance)
            .MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }
        await database.DisposeAsync();
    }

    private ServiceProvider Replica(Dictionary<string, string?>? settings = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddNpgsqlDataSource(database.ConnectionString);
        services.AddPortalKeyRing(new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build());
        var provider = services.BuildServiceProvider();
        replicas.Add(provider);
        return provider;
    }

    private static IDataProtector Protector(IServiceProvider replica) =>
        replica.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");

    private async Task<List<string>> StoredKeysAsync()
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        return (await connection.QueryAsync<string>("SELECT xml FROM data_protection_keys ORDER BY id")).AsList();
    }

    [Fact]
    public async Task TwoReplicas_OneKeyInTheDatabase_EachReadsWhatTheOtherProtected()
    {
        var first = Replica();
        var second = Replica();
        await PostgresKeyRing.EnsureKeyAsync(first, CancellationToken.None);
        await PostgresKeyRing.EnsureKeyAsync(second, CancellationToken.None);

        var fromFirst = Protector(first).Protect("signed in by the first");
        var fromSecond = Protector(second).Protect("signed in by the second");

        Assert.Equal("signed in by the first", Protector(second).Unprotect(fromFirst));
        Assert.Equal("signed in by the second", Protector(first).Unprotect(fromSecond));
        Assert.Single(await StoredKeysAsync());
    }

    [Fact]
    public async Task ReplicasStartingTogether_CreateOneKey()
    {
        var starting = Enumerable.Range(0, 4).Select(_ => Replica()).ToList();

        await Task.WhenAll(starting.Select(replica => Task.Run(() => PostgresKeyRing.EnsureKeyAsync(replica, CancellationToken.None))));

        Assert.Single(await StoredKeysAsync());
    }

    [Fact]
    public async Task CurrentKeyEnds_SuccessorCreatedOnceAndUsedByEveryReplica_OldPayloadsStillRead()
    {
        // A key at the end of its life (90 days, here seconds): the key manager makes its successor ahead of time,
        // activating when it ends, as it does 2 days before the end of a real key.
        var old = Replica();
        var now = DateTimeOffset.UtcNow;
        var ending = old.GetRequiredService<IKeyManager>().CreateNewKey(now.AddDays(-90), now.AddSeconds(4));
        var protectedThen = Protector(old).Protect("issued with the ending key");
        Assert.Equal(2, (await StoredKeysAsync()).Count);

        await Task.Delay(TimeSpan.FromSeconds(5));
        var later = Replica();
        var fromLater = Protector(later).Protect("issued with its successor");

        Assert.Equal("issued with the ending key", Protector(later).Unprotect(protectedThen));
        Assert.Equal("issued with its successor", Protector(old).Unprotect(fromLater));
        var keys = later.GetRequiredService<IKeyManager>().GetAllKeys();
        Assert.Equal(2, keys.Count); // the later replica took the successor rather than making a third key
        Assert.Contains(keys, key => key.KeyId != ending.KeyId && key.ActivationDate == ending.ExpirationDate);
    }

    [Fact]
    public async Task Certificate_KeysEncryptedAtRest_ReadByAnotherReplicaWithTheCertificate()
    {
        var folder = Directory.CreateTempSubdirectory("portal-cert-").FullName;
        try
        {
            var path = Path.Combine(folder, "keyring.pfx");
            using (var rsa = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=portal key ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
                await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pkcs12, "s3cret"));
            }
            var settings = new Dictionary<string, string?> { ["DataProtection:CertificatePath"] = path, ["DataProtection:CertificatePassword"] = "s3cret" };
            var first = Replica(settings);
            var second = Replica(settings);

            var payload = Protector(first).Protect(Encoding.UTF8.GetBytes("cookie"));

            Assert.Equal("cookie", Encoding.UTF8.GetString(Protector(second).Unprotect(payload)));
            var stored = Assert.Single(await StoredKeysAsync());
            Assert.Contains("EncryptedData", stored, StringComparison.Ordinal);
            Assert.DoesNotContain("<value>", stored, StringComparison.Ordinal); // the master key is not in clear
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
