using System.ComponentModel.DataAnnotations;

namespace Portal.Features.Lab;

/// <summary>
/// The lab: where the lab-checks job finds Lighthouse (<c>tools/browser</c> with its node_modules, Node and Chromium),
/// the credentials of sign-in scripts, how long full reports are kept, and the targets the report judges lab results by.
/// </summary>
public sealed class LabOptions
{
    public const string Section = "Lab";

    /// <summary>
    /// The folder of <c>audit.mjs</c> and its node_modules (Lighthouse, puppeteer-core): <c>tools/browser</c> of the
    /// checkout. Unset (the container image, which has no browser): the job audits nothing and says so, and results
    /// come from CI through <c>POST /api/v1/lab/lighthouse</c>.
    /// </summary>
    public string? ToolsPath { get; set; }

    public string Node { get; set; } = "node";

    public string Chromium { get; set; } = "/usr/bin/chromium";

    /// <summary>How long one page's audit (one profile) may take before it is abandoned.</summary>
    [Range(10, 1800)]
    public int PageTimeoutSeconds { get; set; } = 180;

    /// <summary>How long a run's full Lighthouse report is kept (its scores and metrics stay).</summary>
    [Range(1, 3650)]
    public int ReportRetentionDays { get; set; } = 90;

    /// <summary>A sign-in script's user and password per service (<c>Lab:Credentials:shop:Username</c>); secrets, never shown.</summary>
    public Dictionary<string, LabCredentials> Credentials { get; set; } = [];

    /// <summary>The report's Lighthouse target: the performance score (0–100) of every critical page, at least.</summary>
    [Range(0, 100)]
    public double LighthouseTarget { get; set; } = 90;
}

public sealed class LabCredentials
{
    public string? Username { get; set; }

    public string? Password { get; set; }
}
