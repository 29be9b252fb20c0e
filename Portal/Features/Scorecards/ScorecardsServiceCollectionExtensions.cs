namespace Portal.Features.Scorecards;

public static class ScorecardsServiceCollectionExtensions
{
    /// <summary>The SLA catalogue (reloaded on change), SLI evaluation and its samples, and the scorecards read from them.</summary>
    public static IServiceCollection AddScorecards(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ScorecardOptions>().Bind(configuration.GetSection(ScorecardOptions.Section));
        services.AddSingleton<SlaCatalogueCheck>();
        services.AddSingleton<SlaCatalogueSource>();
        services.AddHostedService(provider => provider.GetRequiredService<SlaCatalogueSource>());
        services.AddSingleton<SliEvaluator>();
        services.AddSingleton<SliSampleStore>();
        services.AddSingleton<ScorecardEvaluation>();
        services.AddSingleton<WhatChanged>();
        services.AddSingleton<Scorecards>();
        return services;
    }
}
