namespace Portal.Tests.Infrastructure;

/// <summary>
/// A portal on a fresh database shared by the tests of one class (<c>IClassFixture&lt;SharedPortal&gt;</c>), for
/// tests that each work on data of their own (their own accounts, tables, names): one start instead of one per test.
/// </summary>
public sealed class SharedPortal : PortalOnFreshDatabase;
