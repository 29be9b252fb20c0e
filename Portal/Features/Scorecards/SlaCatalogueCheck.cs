using Portal.Components;
using Portal.Features.Prometheus;
using Portal.Features.Queries;
using Portal.Features.Vitals;

namespace Portal.Features.Scorecards;

/// <summary>What the portal has, for the catalogue's names to be checked against; each null when it could not be read.</summary>
public sealed record SlaKnowledge(IReadOnlySet<string>? Metrics, IReadOnlySet<string>? Targets = null, IReadOnlySet<string>? Apps = null)
{
    public const string TargetsAdded = "Queries:Targets in its configuration, or the Query targets page";
    public const string AppsAdded = "an admin creates apps on the Web Vitals apps page";
}

/// <summary>A PromQL expression of an SLI (an errors SLI's <c>bad</c> and <c>total</c>, an availability SLI's <c>up</c>), where it is.</summary>
/// <param name="MayBeEmpty">Whether no series is a normal answer (an errors SLI's <c>bad</c> while nothing fails).</param>
/// <param name="WhileEmpty">What no series means for its owner, for the warning (an SLI without data, a rule's NoData alert).</param>
public sealed record PromQlExpression(string Query, SourceLocation Location, string What, bool MayBeEmpty, string WhileEmpty = "the SLI has no data until it does");

/// <summary>A checked catalogue: the catalogue (null when an error keeps it out), its errors and warnings, and what could not be checked.</summary>
public sealed record SlaCheckResult(SlaCatalogue? Catalogue, IReadOnlyList<SlaError> Errors, IReadOnlyList<string> NotChecked);

/// <summary>
/// Reads <c>slas.yaml</c> against what the portal has: its query targets, its Web Vitals apps, and Prometheus — which
/// parses every PromQL expression (a syntax error keeps the catalogue out, as any error) and answers it (a `total` or
/// `up` with no series now is a warning: a metric that does not exist, or is not scraped). The running portal and
/// <c>./portal slas check</c> both read the catalogue through it, so they agree. When Prometheus or the database is
/// away, what depends on it is not checked and <see cref="SlaCheckResult.NotChecked"/> says so; PromQL is then only
/// checked for balanced brackets.
/// </summary>
public sealed class SlaCatalogueCheck(QueryTargets targets, VitalsApps apps, PrometheusClient prometheus, ILogger<SlaCatalogueCheck> logger)
{
    /// <param name="prometheusWait">How long to wait for Prometheus's metric names before reading without them (as
    /// while it is away); null: the Prometheus client's own time-out.</param>
    public async Task<SlaCheckResult> ReadAsync(string path, string yaml, TimeSpan? prometheusWait = null, CancellationToken cancellationToken = default)
    {
        var notChecked = new List<string>();
        var known = await KnowledgeAsync(notChecked, prometheusWait, cancellationToken);
        var reader = new SlaCatalogueReader(path, known);
        var (catalogue, errors) = reader.Read(yaml);
        var found = await WithPromQlAsync(errors, reader.PromQl, known, cancellationToken);
        return new SlaCheckResult(found.Any(error => error.Blocking) ? null : catalogue, found, notChecked);
    }

    /// <summary>What the portal has now; what could not be read is null, and said in <paramref name="notChecked"/>.</summary>
    public async Task<SlaKnowledge> KnowledgeAsync(List<string> notChecked, TimeSpan? prometheusWait = null, CancellationToken cancellationToken = default) => new(
        await MetricNamesAsync(notChecked, prometheusWait, cancellationToken),
        targets.All.Select(target => target.Name).ToHashSet(StringComparer.OrdinalIgnoreCase),
        await AppIdsAsync(notChecked, cancellationToken));

    /// <summary><paramref name="errors"/> and those of the PromQL expressions (Prometheus's parse, or brackets while it is away), in the file's order.</summary>
    public async Task<IReadOnlyList<SlaError>> WithPromQlAsync(IEnumerable<SlaError> errors, IEnumerable<PromQlExpression> expressions, SlaKnowledge known, CancellationToken cancellationToken = default)
    {
        var found = errors.ToList();
        foreach (var expression in expressions)
        {
            if (await CheckAsync(expression, prometheusReachable: known.Metrics is not null, cancellationToken) is { } error)
            {
                found.Add(error);
            }
        }
        return [.. found.OrderBy(error => error.Location.Line).ThenBy(error => error.Location.Column)];
    }

    private async Task<SlaError?> CheckAsync(PromQlExpression expression, bool prometheusReachable, CancellationToken cancellationToken)
    {
        if (!prometheusReachable)
        {
            return UnbalancedBracket(expression.Query) is { } problem ? new SlaError(expression.Location, $"{expression.What}: {problem}") : null;
        }
        try
        {
            var answer = await prometheus.QueryAsync(expression.Query, cancellationToken: cancellationToken);
            // An errors SLI's `bad` is rightly empty while nothing fails; `total` and `up` are not.
            return expression.MayBeEmpty is false && answer.Result.ResultType == "vector" && answer.Result.Series.Count == 0
                ? new SlaError(expression.Location, $"{expression.What}: Prometheus has no series for it now (a metric that does not exist, or is not scraped yet): {expression.WhileEmpty}", Blocking: false)
                : null;
        }
        catch (PrometheusQueryException ex)
        {
            return new SlaError(expression.Location, $"{expression.What}: Prometheus cannot parse it: {ex.Message}");
        }
        catch (PrometheusUnavailableException)
        {
            return UnbalancedBracket(expression.Query) is { } problem ? new SlaError(expression.Location, $"{expression.What}: {problem}") : null;
        }
    }

    /// <summary>The first bracket that does not close or open (quoted strings skipped), or null.</summary>
    public static string? UnbalancedBracket(string query)
    {
        var open = new Stack<(char Bracket, int At)>();
        for (var i = 0; i < query.Length; i++)
        {
            var c = query[i];
            if (c is '"' or '\'' or '`')
            {
                var end = query.IndexOf(c, i + 1);
                while (end > 0 && c != '`' && query[end - 1] == '\\')
                {
                    end = query.IndexOf(c, end + 1);
                }
                if (end < 0)
                {
                    return $"the string opened at character {i + 1} does not close";
                }
                i = end;
            }
            else if (c is '(' or '[' or '{')
            {
                open.Push((c, i));
            }
            else if (c is ')' or ']' or '}')
            {
                var expected = c switch { ')' => '(', ']' => '[', _ => '{' };
                if (open.Count == 0 || open.Peek().Bracket != expected)
                {
                    return $"'{c}' at character {i + 1} closes nothing";
                }
                open.Pop();
            }
        }
        return open.Count > 0 ? $"'{open.Peek().Bracket}' at character {open.Peek().At + 1} does not close" : null;
    }

    // Metric names as Prometheus knows them, to catch a misspelt histogram; null (the check skipped) while it is away.
    private async Task<IReadOnlySet<string>?> MetricNamesAsync(List<string> notChecked, TimeSpan? wait, CancellationToken cancellationToken)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (wait is { } limit)
        {
            waiting.CancelAfter(limit);
        }
        try
        {
            var names = await prometheus.Api().LabelValuesAsync("__name__", waiting.Token);
            return names.Data?.ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Refit.ApiException or Refit.ApiRequestException or PrometheusUnavailableException)
        {
            var message = waiting.IsCancellationRequested && !cancellationToken.IsCancellationRequested
                ? $"no answer within {Durations.InWords(wait!.Value)}"
                : ex.Message;
            logger.LogInformation("Prometheus is unavailable: the SLA catalogue's PromQL and metric names are not checked this time ({Message})", message);
            notChecked.Add($"Prometheus is unreachable ({message}): its metric names and the PromQL's parsing are not checked (only its brackets)");
            return null;
        }
    }

    private async Task<IReadOnlySet<string>?> AppIdsAsync(List<string> notChecked, CancellationToken cancellationToken)
    {
        try
        {
            return (await apps.ListAsync(cancellationToken)).Select(app => app.Id).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            logger.LogInformation("The portal's database is unavailable: the SLA catalogue's Web Vitals apps are not checked this time ({Message})", ex.Message);
            notChecked.Add($"the portal's database is unreachable ({ex.Message}): the Web Vitals apps are not checked");
            return null;
        }
    }
}
