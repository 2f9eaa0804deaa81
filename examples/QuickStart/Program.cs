// QuickStart: create a sandbox from template `python`, run `python --version`, print its output and exit code,
// delete the sandbox. The same flow as `New-Sandbox -Template python | Invoke-SandboxCommand 'python --version'`.
//
//   dotnet run --project examples/QuickStart                      # configuration chain: SANDBOX_* / LANGSMITH_* / local server
//   dotnet run --project examples/QuickStart -- --endpoint http://127.0.0.1:8765 --api-key-file /var/lib/sandbox/api-key
using Sandbox.Client;

string? endpoint = null, keyFile = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--endpoint" when i + 1 < args.Length: endpoint = args[++i]; break;
        case "--api-key-file" when i + 1 < args.Length: keyFile = args[++i]; break;
        default:
            Console.Error.WriteLine("usage: QuickStart [--endpoint URL] [--api-key-file FILE]");
            return 2;
    }
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // let the handle delete the sandbox on the way out
    cts.Cancel();
};

try
{
    string? apiKey = null;
    if (keyFile is not null)
    {
        apiKey = File.ReadAllText(keyFile).Trim();
        if (apiKey.Length == 0) throw new InvalidDataException($"{keyFile} is empty");
    }
    // Explicit values first, then SANDBOX_ENDPOINT/SANDBOX_API_KEY, LANGSMITH_*, then the local server and its key file.
    using var client = SandboxClient.Create(endpoint, apiKey);
    Console.WriteLine($"server: {client.Settings.Endpoint}");

    // The handle deletes the sandbox when it is disposed: at the end of the block, also when the command fails or Ctrl+C was pressed.
    await using var box = await client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "python" }, cancellationToken: cts.Token);
    Console.WriteLine($"created sandbox {box.Name}");
    var result = await box.RunAsync("python --version", cts.Token);
    Console.WriteLine("$ python --version");
    if (result.Stdout.Length > 0) Console.Write(result.Stdout.EndsWith('\n') ? result.Stdout : result.Stdout + "\n");
    if (result.Stderr.Length > 0) Console.Write("stderr: " + (result.Stderr.EndsWith('\n') ? result.Stderr : result.Stderr + "\n"));
    Console.WriteLine($"exit code {result.ExitCode} ({result.Duration.TotalMilliseconds:F0} ms); deleting sandbox {box.Name}");
    return result.ExitCode == 0 ? 0 : 1;
}
catch (SandboxApiException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("interrupted");
    return 130;
}
