namespace Portal.Features.Auth;

/// <summary>A row of <c>users</c>. <see cref="PasswordHash"/> never leaves the server.</summary>
public sealed record PortalUser
{
    public required long Id { get; init; }
    public required string Login { get; init; }
    public required string DisplayName { get; init; }
    public required string Role { get; init; }
    public string? PasswordHash { get; init; }
    public required string Source { get; init; }
    public required bool Disabled { get; init; }
    public required int FailedAttempts { get; init; }
    public DateTimeOffset? LockedUntil { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastSignInAt { get; init; }

    public bool IsLockedOut(DateTimeOffset now) => LockedUntil is { } until && until > now;
}
