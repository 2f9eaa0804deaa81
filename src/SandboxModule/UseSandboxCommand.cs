namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Creates a sandbox, runs a script block with it, and deletes it afterwards, even when the block fails or Ctrl+C is pressed.</para>
/// </summary>
[Cmdlet(VerbsOther.Use, "Sandbox", HelpUri = HelpLinks.Base + "Use-Sandbox.md", DefaultParameterSetName = FromTemplate)]
public sealed class UseSandboxCommand : SandboxCreationCmdlet
{
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(60);

    /// <summary><para type="description">The script block; it receives the sandbox as its first argument: { param($sb) ... }.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">The template to create the sandbox from. Without -Template and -Snapshot the server boots its default (the local server: the built-in python snapshot). Binds by property name (Template, TemplateName) from Get-SandboxTemplate output and Import-Csv rows; not by value, so that a row's other columns (Name, Snapshot) bind as they are named.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = FromTemplate)]
    [Alias("TemplateName")]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string? Template { get; set; }

    /// <summary><para type="description">Further arguments passed to the script block after the sandbox.</para></summary>
    [Parameter]
    [AllowNull]
    [AllowEmptyCollection]
    public object?[]? ArgumentList { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var name = RequestedName ?? SandboxNames.NewSandboxName();
        // The name is chosen before creation so that an interrupted creation is cleaned up too.
        var request = BuildRequest(name, waitForReady: true);
        var client = Client;
        // From the moment creation is sent the sandbox may exist (an interrupted or timed-out creation goes on on the
        // server), so it is deleted in every case but a refusal that proves nothing was made (a taken name must not
        // delete someone else's sandbox).
        var mayExist = false;
        try
        {
            Sandbox.Client.Sandbox sandbox;
            try
            {
                mayExist = true;
                sandbox = Await(client.Sandboxes.CreateAsync(request, null, CancellationToken)).Sandbox;
            }
            catch (SandboxApiException e) when (IsRefusal(e))
            {
                mayExist = false;
                WriteError(ErrorFor(e, name));
                return;
            }
            catch (Exception e) when (IsItemFailure(e))
            {
                WriteError(ErrorFor(e, name));
                return;
            }
            WriteVerbose($"Created sandbox '{name}' from {SourceText}.");
            var args = new List<object?> { sandbox };
            if (ArgumentList is not null) args.AddRange(ArgumentList);
            // The sandbox is both the first argument and $_, as in ForEach-Object ({ $_.Name } works without a param block).
            foreach (var result in ScriptBlock!.InvokeWithContext(null, [new PSVariable("_", sandbox)], args.ToArray()))
                WriteObject(result);
        }
        finally
        {
            if (mayExist) Cleanup(client, name);
        }
    }

    private static bool IsRefusal(SandboxApiException e) =>
        e is SandboxNameConflictException or SandboxValidationException or SandboxNotFoundException or SandboxAuthenticationException
            or SandboxQuotaExceededException or SandboxNotSupportedException;

    /// <summary>
    /// Deletes the sandbox with a token of its own (the cmdlet's is cancelled after Ctrl+C). A sandbox that never came to be is
    /// not an error; other failures are a warning naming it, when the pipeline can still be written to.
    /// </summary>
    private void Cleanup(SandboxClient client, string name)
    {
        using var cts = new CancellationTokenSource(CleanupTimeout);
        try
        {
            client.Sandboxes.DeleteAsync(name, null, cts.Token).GetAwaiter().GetResult();
            TryWrite(() => WriteVerbose($"Deleted sandbox '{name}'."));
        }
        catch (SandboxNotFoundException)
        {
        }
        catch (Exception e) when (e is SandboxApiException or OperationCanceledException or IOException or HttpRequestException)
        {
            TryWrite(() => WriteWarning($"Could not delete sandbox '{name}': {e.Message}. Delete it with: Remove-Sandbox -Name {name} -Force"));
        }
    }

    private static void TryWrite(Action write)
    {
        try
        {
            write();
        }
        catch (PipelineStoppedException)
        {
            // Ctrl+C: nothing more can be written; the deletion itself was attempted.
        }
    }
}
