using System.Text;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets the content of a file in a sandbox.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxContent", HelpUri = HelpLinks.Base + "Get-SandboxContent.md")]
[OutputType(typeof(string))]
[OutputType(typeof(byte[]))]
public sealed class GetSandboxContentCommand : SandboxFileCmdlet
{
    /// <summary><para type="description">Paths of files in the sandbox (relative paths are relative to /home/user).</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary><para type="description">Returns the whole file as one string instead of one string per line.</para></summary>
    [Parameter]
    public SwitchParameter Raw { get; set; }

    /// <summary><para type="description">Returns the file's bytes as one byte array.</para></summary>
    [Parameter]
    public SwitchParameter AsByteStream { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (CurrentSandbox() is not { } sandbox) return;
        foreach (var path in Path)
            TryItem(path, () => Read(sandbox, path));
    }

    private void Read(Sandbox.Client.Sandbox sandbox, string path)
    {
        using var download = Await(Client.Files.OpenReadAsync(sandbox, path, CancellationToken));
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
