using Portal.Features.Jobs;

namespace Portal.UnitTests.Features.Jobs;

public sealed class JobScheduleTests
{
    [Theory]
    [InlineData("* * * * * *", "every second")]
    [InlineData("*/15 * * * * *", "every 15 seconds")]
    [InlineData("* * * * *", "every minute")]
    [InlineData("*/5 * * * *", "every 5 minutes")]
    [InlineData("17 * * * *", "every hour at :17")]
    [InlineData("0 */6 * * *", "every 6 hours")]
    [InlineData("0 2 * * *", "every day at 02:00 UTC")]
    [InlineData("30 3 * * *", "every day at 03:30 UTC")]
    [InlineData("0 6 * * 1", "every Monday at 06:00 UTC")]
    [InlineData("0 9 * * 1-5", "on a custom schedule")]
    [InlineData("0 0 1 * *", "on a custom schedule")]
    public void Describe_CommonSchedules_InWords(string cron, string expected) =>
        Assert.Equal(expected, JobSchedule.Describe(cron, TimeZoneInfo.Utc));

    [Theory]
    [InlineData("*/10 * * * * *", 10)]
    [InlineData("*/30 * * * * *", 30)]
    [InlineData("* * * * *", 60)]
    public void Interval_TheTimeBetweenTwoFires_WhatAnActivitySampleStandsFor(string cron, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), JobSchedule.Interval(cron, new DateTimeOffset(2026, 12, 2, 10, 0, 3, TimeSpan.Zero)));

    [Fact]
    public void Describe_OtherTimeZone_NamesIt()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

        Assert.Equal("every day at 02:00 Europe/Berlin", JobSchedule.Describe("0 2 * * *", berlin));
    }

    [Fact]
    public void NextAfter_SecondsField_IsTheNextMultiple()
    {
        var from = new DateTimeOffset(2026, 11, 23, 10, 0, 7, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 0, 15, TimeSpan.Zero), JobSchedule.NextAfter("*/15 * * * * *", TimeZoneInfo.Utc, from));
    }

    [Fact]
    public void Freshness_SucceededWithinObjective_IsFreshElseStaleSinceTheDeadline()
    {
        var now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var definition = Definition(registeredAt: now.AddDays(-1));

        Assert.True(JobFreshness.Of(definition, now.AddMinutes(-15), now).Fresh);
        var stale = JobFreshness.Of(definition, now.AddMinutes(-20), now);
        Assert.False(stale.Fresh);
        Assert.Equal(now.AddMinutes(-5), stale.StaleSince);
    }

    [Fact]
    public void Freshness_NeverSucceeded_FreshWithinObjectiveOfRegistrationThenStaleSinceItsEnd()
    {
        var now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

        Assert.True(JobFreshness.Of(Definition(registeredAt: now.AddMinutes(-10)), null, now).Fresh);
        var stale = JobFreshness.Of(Definition(registeredAt: now.AddMinutes(-40)), null, now);
        Assert.False(stale.Fresh);
        Assert.Equal(now.AddMinutes(-25), stale.StaleSince);
    }

    private static JobDefinitionRow Definition(DateTimeOffset registeredAt) => new()
    {
        Id = "snapshot", Title = "Snapshot", Description = "", Cron = "*/5 * * * *", TimeZone = "UTC", Queue = "default",
        TimeoutSeconds = 60, FreshnessSeconds = 900, Retries = true, Paused = false, RegisteredAt = registeredAt,
    };
}
