# Portal: one image for both processes. `docker run IMAGE web` (default) or `docker run IMAGE jobs`.
# Configure with environment variables, e.g. ConnectionStrings__Portal, ConnectionStrings__Redis, Prometheus__Url.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The build copies npm packages (web-vitals) into wwwroot/lib.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src

# Project files first, so the restore layer is reused until a dependency changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY Portal/Portal.csproj Portal/
COPY Portal.Jobs/Portal.Jobs.csproj Portal.Jobs/
RUN dotnet restore Portal.Jobs/Portal.Jobs.csproj

# The configuration files at the root are published with both processes (Portal.csproj links them).
COPY package.json package-lock.json appsettings.json slas.yaml alerts.yaml ./
COPY wwwroot/ wwwroot/
COPY Portal/ Portal/
COPY Portal.Jobs/ Portal.Jobs/
# Without the analyzers: they are the CI's gate (`./portal test` builds with them, warnings as errors) and change no
# byte of the assemblies (source generators still run); the image's compile takes about a third less CPU without them.
RUN dotnet publish Portal/Portal.csproj -c Release -o /app/web --no-restore -p:RunAnalyzers=false \
    && dotnet publish Portal.Jobs/Portal.Jobs.csproj -c Release -o /app/jobs --no-restore -p:RunAnalyzers=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app

ENV ASPNETCORE_HTTP_PORTS=8080 \
    Worker__Urls=http://+:8081 \
    Logging__Console__FormatterName=json
EXPOSE 8080 8081
# The image's built-in unprivileged user.
USER $APP_UID

# The web process answers on 8080, the worker on 8081; whichever this container runs must answer.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || curl -fsS http://127.0.0.1:8081/healthz || exit 1

ENTRYPOINT ["/bin/sh", "-c", "case \"$1\" in web) cd /app/web && exec dotnet Portal.dll ;; jobs) cd /app/jobs && exec dotnet Portal.Jobs.dll ;; *) echo \"usage: web | jobs\" >&2; exit 2 ;; esac", "portal"]
CMD ["web"]
