using System.Collections.Concurrent;
using Sandbox.Client;
using Sandbox.Module.Support;

namespace Sandbox.Module.Support.Tests;

/// <summary>What the duration parameters (-TimeToLive, -Timeout, ...) accept, through <see cref="DurationParser"/>.</summary>
public sealed class DurationParserTests
{
    public static TheoryData<object, TimeSpan> Good => new()
    {
        { "600", TimeSpan.FromSeconds(600) },
        { " 600 ", TimeSpan.FromSeconds(600) },
        { "0", TimeSpan.Zero },
        { "1.5", TimeSpan.FromSeconds(1.5) },
        { "90s", TimeSpan.FromSeconds(90) },
        { "90sec", TimeSpan.FromSeconds(90) },
        { "10m", TimeSpan.FromMinutes(10) },
        { "10min", TimeSpan.FromMinutes(10) },
        { "1h30m", new TimeSpan(1, 30, 0) },
        { "1H30M", new TimeSpan(1, 30, 0) },
        { "1h 30m 5s", new TimeSpan(1, 30, 5) },
        { "2d", TimeSpan.FromDays(2) },
        { "1d2h3m4s", new TimeSpan(1, 2, 3, 4) },
        { "01:30:00", new TimeSpan(1, 30, 0) },
        { "00:00:45", TimeSpan.FromSeconds(45) },
        { "1.02:03:04", new TimeSpan(1, 2, 3, 4) },
        { 600, TimeSpan.FromSeconds(600) },
        { 600L, TimeSpan.FromSeconds(600) },
        { (byte)7, TimeSpan.FromSeconds(7) },
        { 2.5, TimeSpan.FromSeconds(2.5) },
        { 2.5m, TimeSpan.FromSeconds(2.5) },
    };

    [Theory]
    [MemberData(nameof(Good))]
    public void Accepts_seconds_units_and_clock_times(object value, TimeSpan expected)
    {
        Assert.True(DurationParser.TryParse(value, out var result), $"'{value}' was refused");
        Assert.Equal(expected, result);
        Assert.Equal(expected, DurationParser.Parse(value));
    }

    [Fact]
    public void A_timespan_is_taken_as_is_and_a_bare_number_is_seconds_not_ticks()
    {
        Assert.Equal(TimeSpan.FromMinutes(3), DurationParser.Parse(TimeSpan.FromMinutes(3)));
        Assert.Equal(TimeSpan.FromSeconds(10_000_000), DurationParser.Parse(10_000_000));
    }

    public static TheoryData<object?> Bad => new()
    {
        null,
        "",
        "   ",
        "abc",
        "10x",
        "m",
        "h30",
        "1m30",
        "-5",
        "-00:01:00",
        "99:99:99",
        -1,
        -0.5,
        double.NaN,
        double.PositiveInfinity,
        TimeSpan.FromSeconds(-1),
        new object(),
        // Text that double.Parse or the unit pattern accept but that is no duration (it used to escape as
        // ArgumentException/OverflowException instead of the clear FormatException).
        "NaN",
        "Infinity",
        "-Infinity",
        "1e300",
        1e300,
        ulong.MaxValue,
        "99999999999999999999d",
        "9999999999999d",
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void Refuses_anything_else_with_a_clear_format_error(object? value)
    {
        Assert.False(DurationParser.TryParse(value, out var result));
        Assert.Equal(TimeSpan.Zero, result);
        var e = Assert.Throws<FormatException>(() => DurationParser.Parse(value));
        Assert.Contains($"'{value}' is not a duration", e.Message);
        Assert.Contains("600", e.Message);
        Assert.Contains("1h30m", e.Message);
        Assert.Contains("hh:mm:ss", e.Message);
    }
}

/// <summary>How the argument completers match and quote names, without a server.</summary>
public sealed class NameCompletionTests
{
    private static readonly (string Name, string? ToolTip)[] Names =
    [
        ("python", "python: img (1 CPU)"),
        ("base", null),
        ("Beta", "beta tip"),
        ("my box", null),
        ("it's", null),
        ("-dash", null),
        ("cost$", null),
        ("a[1]", null),
        ("", null),
        ("base", "duplicate"),
    ];

    private static List<string> Texts(IEnumerable<CompletionCandidate> c) => c.Select(x => x.CompletionText).ToList();

    [Fact]
    public void A_word_is_a_case_insensitive_prefix_and_results_are_sorted_and_distinct()
    {
        var b = NameCompletion.Complete(Names, "b");
        Assert.Equal(["base", "Beta"], Texts(b));
        Assert.Equal(["base", "Beta"], b.Select(x => x.ListItemText));
        Assert.Equal("base", b[0].ToolTip); // no tool tip: the name
        Assert.Equal("beta tip", b[1].ToolTip);
        Assert.Equal(["Beta"], Texts(NameCompletion.Complete(Names, "BE")));
        Assert.Empty(NameCompletion.Complete(Names, "zzz"));
    }

    [Fact]
    public void An_empty_word_lists_every_name_quoted_where_the_shell_needs_it()
    {
        var all = NameCompletion.Complete(Names, null);
        Assert.Equal(["'-dash'", "'a[1]'", "base", "Beta", "'cost$'", "'it''s'", "'my box'", "python"], Texts(all));
        Assert.Equal(Texts(all), Texts(NameCompletion.Complete(Names, "")));
        Assert.Equal(["-dash", "a[1]", "base", "Beta", "cost$", "it's", "my box", "python"], all.Select(x => x.ListItemText));
    }

    [Fact]
    public void Wildcards_are_patterns_not_prefixes()
    {
        Assert.Equal(["python"], Texts(NameCompletion.Complete(Names, "*thon")));
        Assert.Equal(["base"], Texts(NameCompletion.Complete(Names, "b?se")));
        Assert.Equal(["base", "Beta", "python"], Texts(NameCompletion.Complete(Names, "[bp]*")));
        Assert.Equal(["'my box'"], Texts(NameCompletion.Complete(Names, "*box")));
        Assert.Empty(NameCompletion.Complete(Names, "*thon?"));
    }

    [Fact]
    public void A_bad_pattern_completes_nothing_instead_of_throwing()
    {
        Assert.Empty(NameCompletion.Complete(Names, "[b"));
        Assert.Empty(NameCompletion.Complete(Names, "[]"));
    }

    [Fact]
    public void The_quote_the_user_started_is_kept_and_closed()
    {
        Assert.Equal(["'python'"], Texts(NameCompletion.Complete(Names, "'py")));
        Assert.Equal(["\"python\""], Texts(NameCompletion.Complete(Names, "\"py")));
        Assert.Equal(["'python'"], Texts(NameCompletion.Complete(Names, "'python'")));
        Assert.Equal(["'my box'"], Texts(NameCompletion.Complete(Names, "'my b")));
        Assert.Equal(["\"cost`$\""], Texts(NameCompletion.Complete(Names, "\"cost")));
        Assert.Equal(["'it''s'"], Texts(NameCompletion.Complete(Names, "'it")));
        Assert.Equal(["'base'", "'Beta'"], Texts(NameCompletion.Complete(Names, "'b")));
        Assert.Equal(8, NameCompletion.Complete(Names, "'").Count); // a lone quote: every name, each quoted
    }

    [Theory]
    [InlineData("plain", false)]
    [InlineData("sb-1a2b3c4d", false)]
    [InlineData("a.b_c~d", false)]
    [InlineData("", true)]
    [InlineData("my box", true)]
    [InlineData("tab\there", true)]
    [InlineData("-x", true)]
    [InlineData("@x", true)]
    [InlineData("#x", true)]
    [InlineData("<x", true)]
    [InlineData(">x", true)]
    [InlineData("[x", true)]
    [InlineData("a'b", true)]
    [InlineData("a\"b", true)]
    [InlineData("a`b", true)]
    [InlineData("a$b", true)]
    [InlineData("a(b)", true)]
    [InlineData("a{b}", true)]
    [InlineData("a;b", true)]
    [InlineData("a,b", true)]
    [InlineData("a|b", true)]
    [InlineData("a&b", true)]
    [InlineData("a*b", true)]
    [InlineData("a?b", true)]
    [InlineData("a]b", true)]
    public void NeedsQuoting_knows_what_a_bare_word_would_break(string text, bool needs) =>
        Assert.Equal(needs, NameCompletion.NeedsQuoting(text));

    [Theory]
    [InlineData("plain", null, "plain")]
    [InlineData("plain", '\'', "'plain'")]
    [InlineData("plain", '"', "\"plain\"")]
    [InlineData("my box", null, "'my box'")]
    [InlineData("it's", null, "'it''s'")]
    [InlineData("it's", '\'', "'it''s'")]
    [InlineData("it's", '"', "\"it's\"")]
    [InlineData("say \"hi\" $x `y", '"', "\"say `\"hi`\" `$x ``y\"")]
    [InlineData("", null, "''")]
    public void Quote_escapes_for_the_quote_used(string text, char? quote, string expected) =>
        Assert.Equal(expected, NameCompletion.Quote(text, quote));

    [Fact]
    public void Null_names_are_an_argument_error() =>
        Assert.Throws<ArgumentNullException>(() => NameCompletion.Complete(null!, "x"));

    [Fact]
    public void New_sandbox_names_have_the_local_style_and_differ()
    {
        var names = Enumerable.Range(0, 50).Select(_ => SandboxNames.NewSandboxName()).ToList();
        Assert.All(names, n => Assert.Matches("^sb-[0-9a-f]{8}$", n));
        Assert.True(names.Distinct().Count() > 45);
    }
}

/// <summary><see cref="PipelinePump{T}"/>: messages from thread-pool work handled on one consuming thread.</summary>
public sealed class PipelinePumpTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    /// <summary>Runs <paramref name="consumer"/> on a dedicated thread (the "pipeline thread"), bounded.</summary>
    private static async Task<T> OnThread<T>(Func<T> consumer)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(consumer());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }) { IsBackground = true };
        thread.Start();
        return await done.Task.WaitAsync(Bound);
    }

    [Fact]
    public async Task Every_message_is_handled_in_order_on_the_consuming_thread_and_the_result_returned()
    {
        using var pump = new PipelinePump<int>();
        var seen = new List<(int Message, int Thread)>();
        var consumerThread = 0;
        var result = await OnThread(() =>
        {
            consumerThread = Environment.CurrentManagedThreadId;
            var work = Task.Run(async () =>
            {
                var progress = pump.AsProgress();
                for (var i = 0; i < 200; i++)
                {
                    progress.Report(i);
                    if (i % 50 == 0) await Task.Delay(20);
                }
                return "done";
            });
            return pump.Run(work, m => seen.Add((m, Environment.CurrentManagedThreadId)));
        });
        Assert.Equal("done", result);
        Assert.Equal(Enumerable.Range(0, 200), seen.Select(s => s.Message));
        Assert.All(seen, s => Assert.Equal(consumerThread, s.Thread));
    }

    [Fact]
    public async Task Run_waits_for_the_work_even_when_it_posts_nothing()
    {
        using var pump = new PipelinePump<string>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = OnThread(() => pump.Run(Work(), _ => { }));
        await Task.Delay(200);
        Assert.False(running.IsCompleted);
        gate.SetResult();
        Assert.Equal(42, await running);

        async Task<int> Work()
        {
            await gate.Task;
            return 42;
        }
    }

    [Fact]
    public async Task Messages_posted_before_Run_and_by_already_finished_work_are_still_delivered()
    {
        using var pump = new PipelinePump<string>();
        pump.Post("early");
        var seen = new List<string>();
        var r = await OnThread(() => pump.Run(Task.FromResult(7), seen.Add));
        Assert.Equal(7, r);
        Assert.Equal(["early"], seen);
    }

    [Fact]
    public async Task The_work_exception_is_rethrown_unwrapped_after_its_messages()
    {
        using var pump = new PipelinePump<string>();
        var seen = new List<string>();
        var e = await Assert.ThrowsAsync<SandboxNotFoundException>(() => OnThread(() => pump.Run(Task.Run<int>(async () =>
        {
            pump.Post("before");
            await Task.Delay(50);
            throw new SandboxNotFoundException("gone");
        }), seen.Add)));
        Assert.Equal("gone", e.Message);
        Assert.Equal(["before"], seen);
    }

    [Fact]
    public async Task Cancelled_work_surfaces_as_OperationCanceledException()
    {
        using var pump = new PipelinePump<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => OnThread(() =>
        {
            pump.Run(Task.Delay(Timeout.Infinite, cts.Token), _ => { });
            return true;
        }));
    }

    [Fact]
    public async Task Run_without_a_result_works_the_same()
    {
        using var pump = new PipelinePump<int>();
        var seen = new List<int>();
        await OnThread(() =>
        {
            pump.Run(Task.Run(async () =>
            {
                pump.Post(1);
                await Task.Delay(20);
                pump.Post(2);
            }), seen.Add);
            return true;
        });
        Assert.Equal([1, 2], seen);

        using var failing = new PipelinePump<int>();
        await Assert.ThrowsAsync<InvalidOperationException>(() => OnThread(() =>
        {
            failing.Run(Task.Run(() => throw new InvalidOperationException("x")), _ => { });
            return true;
        }));
    }

    [Fact]
    public async Task Late_messages_after_the_end_or_after_disposal_are_dropped_silently()
    {
        var pump = new PipelinePump<int>();
        var seen = new List<int>();
        await OnThread(() => pump.Run(Task.FromResult(0), seen.Add));
        pump.Post(1); // after CompleteAdding
        pump.AsProgress().Report(2);
        pump.Dispose();
        pump.Post(3); // after Dispose
        pump.AsProgress().Report(4);
        Assert.Empty(seen);
    }

    [Fact]
    public async Task A_consumer_that_gives_up_leaves_the_still_running_work_able_to_post_and_finish()
    {
        // The cmdlet's "using" disposes the pump when the handler throws (e.g. the pipeline is stopped); the work keeps
        // posting and finally ends: neither its posts nor the pump's completion may throw.
        var pump = new PipelinePump<int>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var postedAfter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var work = Task.Run(async () =>
        {
            pump.Post(1);
            await release.Task;
            for (var i = 0; i < 10; i++) pump.Post(i);
            postedAfter.SetResult();
            return 0;
        });
        var e = await Assert.ThrowsAsync<PipelineStopped>(() => OnThread(() =>
        {
            try
            {
                return pump.Run(work, _ => throw new PipelineStopped());
            }
            finally
            {
                pump.Dispose();
            }
        }));
        release.SetResult();
        await postedAfter.Task.WaitAsync(Bound);
        Assert.Equal(0, await work.WaitAsync(Bound));
        Assert.NotNull(e);
    }

    [Fact]
    public void Null_arguments_are_refused()
    {
        using var pump = new PipelinePump<int>();
        Assert.Throws<ArgumentNullException>(() => pump.Run<int>(null!, _ => { }));
        Assert.Throws<ArgumentNullException>(() => pump.Run(Task.FromResult(1), null!));
    }

    [Fact]
    public async Task Many_producers_lose_no_message()
    {
        using var pump = new PipelinePump<int>();
        var seen = new ConcurrentBag<int>();
        var count = 0;
        await OnThread(() =>
        {
            var work = Task.WhenAll(Enumerable.Range(0, 8).Select(p => Task.Run(() =>
            {
                for (var i = 0; i < 1000; i++) pump.Post(p * 1000 + i);
            })));
            pump.Run(work, m =>
            {
                seen.Add(m);
                count++;
            });
            return true;
        });
        Assert.Equal(8000, count);
        Assert.Equal(Enumerable.Range(0, 8000), seen.OrderBy(x => x));
    }

    private sealed class PipelineStopped : Exception;
}

/// <summary><see cref="TransferProgressTracker"/>: when a copy's progress is shown and what it says.</summary>
public sealed class TransferProgressTrackerTests
{
    [Fact]
    public void The_first_update_is_reported_then_updates_are_throttled_and_completion_always_reported()
    {
        var t = new TransferProgressTracker(10 * 1024 * 1024) { Interval = TimeSpan.FromHours(1) };
        Assert.True(t.Update(1024)); // the first report is due at once
        Assert.False(t.Update(2048)); // within the interval
        Assert.Equal(2048, t.BytesDone);
        Assert.True(t.Update(10 * 1024 * 1024)); // done: always
        Assert.Equal(100, t.PercentComplete);
    }

    [Fact]
    public void Unknown_totals_report_on_the_interval()
    {
        var t = new TransferProgressTracker(null) { Interval = TimeSpan.FromMilliseconds(50) };
        Assert.True(t.IsWorthShowing);
        Assert.True(t.Update(1));
        Assert.False(t.Update(2));
        Thread.Sleep(120);
        Assert.True(t.Update(3));
        Assert.Equal(-1, t.PercentComplete);
        Assert.Equal(-1, t.SecondsRemaining);
        Assert.Matches(@"^3 B \(\d+(\.\d)? (B|KiB|MiB)/s\)$", t.StatusText);
    }

    [Fact]
    public void Percent_rate_remaining_and_status_for_a_known_total()
    {
        var t = new TransferProgressTracker(4 * 1024 * 1024);
        Assert.True(t.IsWorthShowing);
        Thread.Sleep(50);
        t.Update(1024 * 1024);
        Assert.Equal(25, t.PercentComplete);
        Assert.True(t.BytesPerSecond > 0);
        Assert.True(t.SecondsRemaining >= 0);
        Assert.StartsWith("1.0 MiB of 4.0 MiB (", t.StatusText);
        Assert.EndsWith("/s)", t.StatusText);
        Assert.False(new TransferProgressTracker(TransferProgressTracker.LargeFileBytes - 1).IsWorthShowing);
        Assert.True(new TransferProgressTracker(TransferProgressTracker.LargeFileBytes).IsWorthShowing);
        Assert.Equal(-1, new TransferProgressTracker(0).PercentComplete);
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1.0 KiB")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(1024L * 1024 * 3, "3.0 MiB")]
    [InlineData(1024L * 1024 * 1024 * 5, "5.0 GiB")]
    [InlineData(1024L * 1024 * 1024 * 1024 * 2048, "2048.0 TiB")]
    public void FormatBytes_uses_binary_units(long bytes, string expected) =>
        Assert.Equal(expected, TransferProgressTracker.FormatBytes(bytes));
}

/// <summary>Where <c>Copy-SandboxItem</c> puts files (<see cref="SandboxPaths"/>) and what it returns (<see cref="SandboxFileTransfer"/>).</summary>
public sealed class SandboxPathsTests
{
    [Theory]
    [InlineData("/a/b.txt", "b.txt")]
    [InlineData("b.txt", "b.txt")]
    [InlineData("/a/dir/", "dir")]
    [InlineData(@"C:\x\y.bin", "y.bin")]
    [InlineData("", "")]
    public void FileName_is_the_last_segment(string path, string expected) => Assert.Equal(expected, SandboxPaths.FileName(path));

    [Theory]
    [InlineData("", true)]
    [InlineData(".", true)]
    [InlineData("~", true)]
    [InlineData("..", true)]
    [InlineData("/tmp/", true)]
    [InlineData("/tmp", false)]
    [InlineData("x.txt", false)]
    public void IsDirectoryLike_for_sandbox_destinations(string destination, bool expected) =>
        Assert.Equal(expected, SandboxPaths.IsDirectoryLike(destination));

    [Theory]
    [InlineData("/local/f.txt", "/tmp/g.txt", false, "/tmp/g.txt")]
    [InlineData("/local/f.txt", "/tmp/", false, "/tmp/f.txt")]
    [InlineData("/local/f.txt", "/tmp", true, "/tmp/f.txt")]
    [InlineData("/local/f.txt", "/tmp//", true, "/tmp/f.txt")]
    [InlineData("/local/f.txt", "/", false, "/f.txt")]
    [InlineData("/local/f.txt", ".", false, "f.txt")]
    [InlineData("/local/f.txt", "~", false, "f.txt")]
    [InlineData("/local/f.txt", "", false, "f.txt")]
    [InlineData("/local/f.txt", "..", false, "../f.txt")]
    [InlineData("/local/f.txt", "data/", false, "data/f.txt")]
    public void UploadTarget(string local, string destination, bool many, string expected) =>
        Assert.Equal(expected, SandboxPaths.UploadTarget(local, destination, many));

    [Fact]
    public void DownloadTarget_keeps_the_name_under_an_existing_directory_a_trailing_separator_or_many_sources()
    {
        var dir = Directory.CreateTempSubdirectory("sbx-paths-");
        try
        {
            Assert.Equal(Path.Combine(dir.FullName, "f.txt"), SandboxPaths.DownloadTarget("/home/user/f.txt", dir.FullName, false));
            var missing = Path.Combine(dir.FullName, "new");
            Assert.Equal(missing, SandboxPaths.DownloadTarget("/home/user/f.txt", missing, false));
            Assert.Equal(Path.Combine(missing + "/", "f.txt"), SandboxPaths.DownloadTarget("/home/user/f.txt", missing + "/", false));
            Assert.Equal(Path.Combine(missing, "f.txt"), SandboxPaths.DownloadTarget("/home/user/f.txt", missing, true));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_transfer_shows_as_its_destination()
    {
        var t = new SandboxFileTransfer { Sandbox = "b", Direction = SandboxTransferDirection.FromSandbox, Source = "/x", Destination = "/local/x", Length = 3, Duration = TimeSpan.FromSeconds(1) };
        Assert.Equal("/local/x", t.ToString());
        Assert.Equal("", new SandboxFileTransfer().ToString());
        Assert.Equal(SandboxTransferDirection.ToSandbox, new SandboxFileTransfer().Direction);
    }
}

/// <summary><see cref="SandboxCommandFailedException"/>: a non-zero exit turned into an error that still carries the result.</summary>
public sealed class SandboxCommandFailedExceptionTests
{
    [Fact]
    public void It_carries_the_result_with_a_stable_id_category_and_target()
    {
        var result = new CommandResult { Sandbox = "box1", Command = "make test", ExitCode = 2, Stdout = "out", Stderr = "boom\nfailed\n" };
        var e = new SandboxCommandFailedException(result);
        Assert.Same(result, e.Result);
        Assert.Equal("SandboxCommandFailed", e.ErrorId);
        Assert.Equal("CommandFailed", e.ErrorType);
        Assert.Equal(SandboxErrorCategory.InvalidResult, e.CategoryName);
        Assert.Equal("box1", e.TargetName);
        Assert.False(e.IsTransient);
        Assert.Null(e.StatusCode);
        Assert.IsAssignableFrom<SandboxApiException>(e);
        Assert.Equal("the command 'make test' in sandbox 'box1' exited with code 2: boom\nfailed", e.Message);
    }

    [Fact]
    public void No_stderr_no_colon_and_long_stderr_keeps_its_end()
    {
        var quiet = new SandboxCommandFailedException(new CommandResult { Sandbox = "b", Command = "false", ExitCode = 1 });
        Assert.Equal("the command 'false' in sandbox 'b' exited with code 1", quiet.Message);

        var tail = "THE-END";
        var stderr = new string('x', 5000) + tail + "\n\n";
        var loud = new SandboxCommandFailedException(new CommandResult { Sandbox = "b", Command = "c", ExitCode = 137, Stderr = stderr });
        Assert.EndsWith(tail, loud.Message);
        Assert.Contains("exited with code 137: ...", loud.Message);
        Assert.True(loud.Message.Length < 2100, $"message of {loud.Message.Length} chars");
        Assert.Equal(stderr, loud.Result.Stderr); // the full text stays in the result
    }

    [Fact]
    public void A_null_result_is_an_argument_error() =>
        Assert.Throws<ArgumentNullException>(() => new SandboxCommandFailedException(null!));
}

/// <summary>Options, locator, info and errors of the local server, without starting one.</summary>
public sealed class LocalServerOptionsTests
{
    [Fact]
    public void Defaults_and_endpoint()
    {
        var o = new LocalServerOptions();
        Assert.Equal("127.0.0.1", o.ListenAddress);
        Assert.Equal(8765, o.Port);
        Assert.Equal("http://127.0.0.1:8765", o.Endpoint);
        Assert.Equal(TimeSpan.FromSeconds(60), o.StartTimeout);
        Assert.Equal("http://[::1]:9000", new LocalServerOptions { ListenAddress = "::1", Port = 9000 }.Endpoint);
        Assert.Equal("http://0.0.0.0:0", new LocalServerOptions { ListenAddress = "0.0.0.0", Port = 0 }.Endpoint);
    }

    [Fact]
    public void The_data_directory_is_the_given_one_made_absolute_else_the_default_for_the_user()
    {
        var user = SandboxEnvironment.FromVariables(new Dictionary<string, string>(), isRoot: false, home: "/home/alice");
        var xdg = SandboxEnvironment.FromVariables(new Dictionary<string, string> { ["XDG_DATA_HOME"] = "/xdg" });
        var root = SandboxEnvironment.FromVariables(new Dictionary<string, string>(), isRoot: true);
        Assert.Equal("/home/alice/.local/share/sandbox", new LocalServerOptions().ResolvedDataDirectory(user));
        Assert.Equal("/xdg/sandbox", new LocalServerOptions { DataDirectory = " " }.ResolvedDataDirectory(xdg));
        Assert.Equal("/var/lib/sandbox", new LocalServerOptions().ResolvedDataDirectory(root));
        Assert.Equal("/srv/d", new LocalServerOptions { DataDirectory = "/srv/x/../d" }.ResolvedDataDirectory(user));
        Assert.Equal(Path.GetFullPath("rel"), new LocalServerOptions { DataDirectory = "rel" }.ResolvedDataDirectory(user));
    }

    [Fact]
    public void The_server_is_found_from_SANDBOX_SERVER_PATH_then_the_module_folder()
    {
        var dir = Directory.CreateTempSubdirectory("sbx-locator-");
        try
        {
            var custom = Path.Combine(dir.FullName, "custom.dll");
            File.WriteAllText(custom, "");
            var moduleDir = Path.Combine(dir.FullName, "module");
            Directory.CreateDirectory(Path.Combine(moduleDir, "server"));
            var bundled = Path.Combine(moduleDir, "server", LocalServerLocator.ServerFileName);

            var viaEnv = SandboxEnvironment.FromVariables(new Dictionary<string, string> { ["SANDBOX_SERVER_PATH"] = custom });
            var none = SandboxEnvironment.FromVariables(new Dictionary<string, string>());
            var missingEnv = SandboxEnvironment.FromVariables(new Dictionary<string, string> { ["SANDBOX_SERVER_PATH"] = custom + ".nope" });

            Assert.Null(LocalServerLocator.FindServer(moduleDir, none)); // nothing bundled yet
            Assert.Null(LocalServerLocator.FindServer(null, none));
            Assert.Equal(custom, LocalServerLocator.FindServer(moduleDir, viaEnv));
            File.WriteAllText(bundled, "");
            Assert.Equal(custom, LocalServerLocator.FindServer(moduleDir, viaEnv)); // the variable wins
            Assert.Equal(bundled, LocalServerLocator.FindServer(moduleDir, none));
            Assert.Equal(bundled, LocalServerLocator.FindServer(moduleDir, missingEnv)); // a stale variable falls through

            var defaults = LocalServerOptions.ForDefaultServer(moduleDir);
            Assert.Equal("http://127.0.0.1:8765", defaults.Endpoint);
            Assert.Null(defaults.DataDirectory);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Dotnet_is_found_from_DOTNET_HOST_PATH_then_DOTNET_ROOT_then_PATH()
    {
        var dir = Directory.CreateTempSubdirectory("sbx-dotnet-");
        try
        {
            string Make(string sub)
            {
                Directory.CreateDirectory(Path.Combine(dir.FullName, sub));
                var p = Path.Combine(dir.FullName, sub, "dotnet");
                File.WriteAllText(p, "");
                return p;
            }
            var host = Make("host");
            var root = Make("root");
            var onPath = Make("path");
            var empty = Path.Combine(dir.FullName, "empty");
            Directory.CreateDirectory(empty);
            SandboxEnvironment Env(Dictionary<string, string> v) => SandboxEnvironment.FromVariables(v, home: dir.FullName);

            Assert.Equal(host, LocalServerLocator.FindDotnet(Env(new() { ["DOTNET_HOST_PATH"] = host, ["DOTNET_ROOT"] = Path.GetDirectoryName(root)!, ["PATH"] = Path.GetDirectoryName(onPath)! })));
            Assert.Equal(root, LocalServerLocator.FindDotnet(Env(new() { ["DOTNET_HOST_PATH"] = host + ".nope", ["DOTNET_ROOT"] = Path.GetDirectoryName(root)!, ["PATH"] = Path.GetDirectoryName(onPath)! })));
            Assert.Equal(onPath, LocalServerLocator.FindDotnet(Env(new() { ["PATH"] = empty + ":" + Path.GetDirectoryName(onPath)! })));
            var fallback = LocalServerLocator.FindDotnet(Env(new() { ["PATH"] = empty }));
            Assert.True(fallback == "dotnet" || File.Exists(fallback), fallback);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Info_and_exception_shapes()
    {
        var info = new LocalServerInfo { Endpoint = "http://127.0.0.1:1", Status = LocalServerStatus.Running, DataDirectory = "/d" };
        Assert.Equal("/d/api-key", info.ApiKeyFile);
        Assert.True(info.IsRunning);
        Assert.Equal("http://127.0.0.1:1", info.ToString());
        Assert.False(new LocalServerInfo { Status = LocalServerStatus.NotResponding }.IsRunning);
        Assert.False(new LocalServerInfo().IsRunning);

        var inner = new IOException("disk");
        var e = new LocalServerException("msg", LocalServerException.NotFound, SandboxErrorCategory.ObjectNotFound, "/d", inner);
        Assert.Equal("SandboxServerNotFound", e.ErrorId);
        Assert.Equal("ObjectNotFound", e.CategoryName);
        Assert.Equal("/d", e.TargetName);
        Assert.Same(inner, e.InnerException);
        Assert.False(e.IsTransient);
        Assert.Equal("SandboxServerStartFailed", LocalServerException.StartFailed);
        Assert.Equal("SandboxServerNotRunning", LocalServerException.NotRunning);
        Assert.Equal("SandboxServerStopFailed", LocalServerException.StopFailed);
    }
}
