using System.Text;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets the content of a file in a sandbox.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxContent")]
[OutputType(typeof(string))]
[OutputType(typeof(byte[]))]
public sealed class GetSandboxContentCommand : SandboxConnectedCmdlet
{
    /// <summary><para type="description">Paths of files in the sandbox (relative paths are relative to /home/user).</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary><para type="description">The sandbox: an object from New-Sandbox or Get-Sandbox, or a name. Binds from the pipeline by value or by the property Name or SandboxName.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "SandboxName")]
    [SandboxTransformation]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox? Sandbox { get; set; }

    /// <summary><para type="description">Returns the whole file as one string instead of one string per line.</para></summary>
    [Parameter]
    public SwitchParameter Raw { get; set; }

    /// <summary><para type="description">Returns the file's bytes as one byte array.</para></summary>
    [Parameter]
    public SwitchParameter AsByteStream { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var given = Sandbox!;
        Sandbox.Client.Sandbox? sandbox = null;
        if (!TryItem(given.Name, () => sandbox = Refresh(given))) return;
        foreach (var path in Path)
            TryItem(path, () => Read(sandbox!, path));
    }

    private void Read(Sandbox.Client.Sandbox sandbox, string path)
    {
        using var download = Await(Client.OpenReadAsync(sandbox, path, CancellationToken));
        if (AsByteStream)
        {
            using var buffer = new MemoryStream();
            Await(download.Content.CopyToAsync(buffer, CancellationToken));
            WriteObject(buffer.ToArray(), enumerateCollection: false);
            return;
        }
        using var reader = new StreamReader(download.Content, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
        if (Raw)
        {
            WriteObject(Await(reader.ReadToEndAsync(CancellationToken)));
            return;
        }
        // Lines go out as they arrive: a large file is never held whole.
        while (Await(reader.ReadLineAsync(CancellationToken).AsTask()) is { } line)
            WriteObject(line);
    }
}
