using System.Diagnostics;
using System.Text;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Writes content to a file in a sandbox, replacing what it held.</para>
/// </summary>
/// <remarks>
/// Pipeline input is the sandbox unless <c>-Sandbox</c> is given on the command line; then it is the content (each object a line),
/// written once all input has arrived.
/// </remarks>
[Cmdlet(VerbsCommon.Set, "SandboxContent", HelpUri = HelpLinks.Base + "Set-SandboxContent.md", SupportsShouldProcess = true)]
[OutputType(typeof(SandboxFileTransfer))]
public sealed class SetSandboxContentCommand : SandboxFileCmdlet
{
    private readonly List<object?> _collected = [];

    /// <summary><para type="description">The file's path in the sandbox (relative paths are relative to /home/user); parent directories must exist.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary><para type="description">The content: strings or objects (one line each), or a single byte array written as is. From the pipeline when -Sandbox is given on the command line.</para></summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [AllowNull]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public object?[]? Value { get; set; }

    /// <summary><para type="description">Writes the items without line endings between them or after the last one.</para></summary>
    [Parameter]
    public SwitchParameter NoNewline { get; set; }

    /// <summary><para type="description">Returns an object describing the file written.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void Begin()
    {
        if (SandboxFromPipeline && !IsOnCommandLine(nameof(Value)) && MyInvocation.ExpectingInput)
            FailArgument("give -Value when the sandbox comes from the pipeline (or give -Sandbox and pipe the content)", "SandboxContentValueRequired", null);
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (SandboxFromPipeline)
        {
            Write(Sandbox!, Value);
            return;
        }
        if (IsOnCommandLine(nameof(Value))) return;
        if (Value is not null) _collected.AddRange(Value);
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (SandboxFromPipeline) return;
        Write(Sandbox!, IsOnCommandLine(nameof(Value)) ? Value : _collected.ToArray());
    }

    private void Write(Sandbox.Client.Sandbox given, object?[]? value)
    {
        if (!ShouldProcess($"{given.Name}:{Path}", "Write file in sandbox")) return;
        var bytes = Encode(value);
        TryItem(Path, () =>
        {
            var sandbox = Refresh(given);
            var watch = Stopwatch.StartNew();
            using var content = new MemoryStream(bytes, writable: false);
            var result = Await(Client.Files.UploadAsync(sandbox, Path, content, null, CancellationToken));
            if (PassThru)
                WriteObject(new SandboxFileTransfer
                {
                    Sandbox = sandbox.Name,
                    Direction = SandboxTransferDirection.ToSandbox,
                    Source = "(content)",
                    Destination = result.Path,
                    Length = result.Written,
                    Duration = watch.Elapsed,
                });
        });
    }

    private byte[] Encode(object?[]? value)
    {
        var items = (value ?? []).Select(v => v is PSObject p ? p.BaseObject : v).ToList();
        if (items.Count == 1 && items[0] is byte[] raw) return raw;
        if (items.Count > 0 && items.All(i => i is byte)) return items.Cast<byte>().ToArray();
        var text = new StringBuilder();
        foreach (var item in items)
        {
            text.Append(item is null ? "" : LanguagePrimitives.ConvertTo<string>(item));
            if (!NoNewline) text.Append('\n');
        }
        return new UTF8Encoding(false).GetBytes(text.ToString());
    }
}
