namespace Sandbox.Server.Services;

/// <summary>Enforces ttl_seconds (delete) and idle_ttl_seconds (stop) twice a second.</summary>
public sealed class ExpiryService(SandboxManager manager, ILogger<ExpiryService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await manager.EnforceExpiryAsync();
            }
            catch (Exception e)
            {
                log.LogError(e, "expiry pass failed");
            }
        }
    }
}
