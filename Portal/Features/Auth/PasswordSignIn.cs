using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Portal.Features.Auth;

public enum SignInOutcome
{
    Succeeded,
    InvalidCredentials,
    LockedOut,
    Disabled,
}

/// <param name="NewlyLocked">This attempt's failure locked the account (the audit log records the lockout).</param>
public sealed record SignInResult(SignInOutcome Outcome, PortalUser? User = null, DateTimeOffset? LockedUntil = null, bool NewlyLocked = false);

/// <summary>Checks a login and password with Identity's <see cref="PasswordHasher{TUser}"/>, counting failures towards a lockout.</summary>
public sealed class PasswordSignIn(UserStore users, IOptions<AuthOptions> options, TimeProvider time, ILogger<PasswordSignIn> logger)
{
    private static readonly PasswordHasher<PortalUser> Hasher = new();

    // Verified against when the login does not exist, so a wrong login takes as long as a wrong password.
    private static readonly string UnknownUserHash = Hasher.HashPassword(null!, Guid.NewGuid().ToString());

    public const int MinimumPasswordLength = 10;

    public static string Hash(string password) => Hasher.HashPassword(null!, password);

    /// <returns>Why <paramref name="password"/> may not be used, or null when it may.</returns>
    public static string? CheckPolicy(string? password) =>
        password is null || password.Length < MinimumPasswordLength
            ? $"The password must have at least {MinimumPasswordLength} characters."
            : null;

    public async Task<SignInResult> SignInAsync(string login, string password, CancellationToken cancellationToken = default)
    {
        var user = await users.FindByLoginAsync(login.Trim(), cancellationToken);
        if (user?.PasswordHash is null)
        {
            Hasher.VerifyHashedPassword(null!, UnknownUserHash, password);
            // Not the text typed: people type their password into the login field.
            logger.LogWarning("Sign-in failed: unknown login ({Length} characters)", login.Length);
            return new SignInResult(SignInOutcome.InvalidCredentials);
        }

        var now = time.GetUtcNow();
        if (user.IsLockedOut(now))
        {
            Hasher.VerifyHashedPassword(null!, UnknownUserHash, password); // as long as any other answer
            logger.LogWarning("Sign-in refused: {Login} is locked out until {LockedUntil:O}", user.Login, user.LockedUntil);
            return new SignInResult(SignInOutcome.LockedOut, user, user.LockedUntil);
        }

        var verdict = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            var settings = options.Value;
            var updated = await users.RecordFailedAttemptAsync(user.Id, settings.MaxFailedAttempts, now.AddMinutes(settings.LockoutMinutes), cancellationToken);
            logger.LogWarning("Sign-in failed: wrong password for {Login}", user.Login);
            return updated.IsLockedOut(now)
                ? new SignInResult(SignInOutcome.LockedOut, updated, updated.LockedUntil, NewlyLocked: true)
                : new SignInResult(SignInOutcome.InvalidCredentials, updated);
        }

        if (user.Disabled)
        {
            logger.LogWarning("Sign-in refused: {Login} is disabled", user.Login);
            return new SignInResult(SignInOutcome.Disabled, user);
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await users.SetPasswordHashAsync(user.Id, Hasher.HashPassword(user, password), cancellationToken);
        }
        await users.RecordSignInAsync(user.Id, cancellationToken);
        logger.LogInformation("{Login} signed in", user.Login);
        return new SignInResult(SignInOutcome.Succeeded, user);
    }
}
