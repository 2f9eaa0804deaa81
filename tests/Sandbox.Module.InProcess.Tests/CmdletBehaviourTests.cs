using System.Diagnostics;
using System.Management.Automation;

namespace Sandbox.Module.InProcess.Tests;

/// <summary>The cmdlets in a runspace hosted in-process, against the real local server the module started.</summary>
public sealed class CmdletBehaviourTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    [Fact]
    public void The_headline_pipeline_runs_a_command_in_a_new_sandbox()
    {
        var name = NewName("ip");
        var result = host.Run($"New-Sandbox -Template base -Name '{name}' | Invoke-SandboxCommand 'echo piped' ; Remove-Sandbox -Name '{name}' -Force");
        var command = Assert.Single(result);
        Assert.Equal("piped\n", command.Properties["Stdout"].Value);
        Assert.Equal(0, command.Properties["ExitCode"].Value);
    }

    [Fact]
    public void WhatIf_removes_nothing_and_Get_Remove_chain_removes()
    {
        var name = NewName("wi");
        host.Run($"New-Sandbox -Template base -Name '{name}' | Out-Null");
        host.Run($"Remove-Sandbox -Name '{name}' -WhatIf");
        Assert.Single(host.Run($"Get-Sandbox -Name '{name}'"));
        host.Run($"Get-Sandbox -Name '{name}' | Remove-Sandbox -Force");
        Assert.Empty(host.Run($"Get-Sandbox -Name '{name}*'"));
    }

    [Fact]
    public void A_missing_sandbox_is_a_non_terminating_ErrorRecord_with_a_stable_id()
    {
        using var ps = host.NewShell();
        var output = ps.AddScript("Remove-Sandbox -Name 'no-such-sandbox' -Force; 'after'").Invoke();
        Assert.Equal("after", Assert.Single(output).BaseObject); // non-terminating: the script went on
        var error = Assert.Single(ps.Streams.Error);
        Assert.Equal("SandboxNotFound,SandboxModule.RemoveSandboxCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("no-such-sandbox", error.TargetObject);
    }

    [Fact]
    public void Stop_ends_a_running_command_at_once_and_kills_the_remote_process()
    {
        var name = NewName("st");
        host.Run($"New-Sandbox -Template base -Name '{name}' | Out-Null");
        try
        {
            using var ps = host.NewShell();
            ps.AddScript($"Invoke-SandboxCommand -Sandbox '{name}' 'sleep 300; echo never'");
            var async = ps.BeginInvoke();
            // Wait until the remote sleep runs, then Ctrl+C.
            var seen = false;
            for (var i = 0; i < 100 && !seen; i++)
            {
                Thread.Sleep(100);
                var ps1 = host.Run($"(Invoke-SandboxCommand -Sandbox '{name}' 'ps -eo args').Stdout");
                seen = ps1.Single().ToString().Contains("sleep 300", StringComparison.Ordinal);
            }
            Assert.True(seen, "the remote sleep never showed up");
            var watch = Stopwatch.StartNew();
            ps.Stop();
            Assert.True(async.IsCompleted || async.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(10)), "the pipeline did not stop");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the stop took {watch.Elapsed}");
            Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
            // The remote process is gone too (not left running in the sandbox).
            var gone = false;
            for (var i = 0; i < 50 && !gone; i++)
            {
                var ps2 = host.Run($"(Invoke-SandboxCommand -Sandbox '{name}' 'ps -eo args').Stdout");
                gone = !ps2.Single().ToString().Contains("sleep 300", StringComparison.Ordinal);
                if (!gone) Thread.Sleep(200);
            }
            Assert.True(gone, "sleep 300 still runs in the sandbox after Stop()");
        }
        finally
        {
            host.Run($"Remove-Sandbox -Name '{name}' -Force");
        }
    }

    [Fact]
    public void Tab_completion_offers_the_server_s_templates()
    {
        using var ps = host.NewShell();
        const string input = "New-Sandbox -Template ";
        var completion = CommandCompletion.CompleteInput(input, input.Length, null, ps);
        var texts = completion.CompletionMatches.Select(m => m.CompletionText).ToList();
        Assert.Contains("base", texts);
        Assert.Contains("python", texts);
    }

    [Theory]
    [InlineData("Get-SandboxTemplate ")]
    [InlineData("Remove-SandboxTemplate -Name ")]
    [InlineData("Rename-SandboxTemplate -Name ")]
    [InlineData("Sandbox\\Get-SandboxTemplate -Name ")]
    public void Name_completion_declared_once_in_the_bases_offers_the_kind_the_command_is_named_for(string input)
    {
        using var ps = host.NewShell();
        var texts = CommandCompletion.CompleteInput(input, input.Length, null, ps).CompletionMatches.Select(m => m.CompletionText).ToList();
        Assert.Contains("base", texts);
        Assert.Contains("python", texts);
    }

    [Fact]
    public void Name_completion_of_a_volume_cmdlet_offers_volumes_not_templates()
    {
        var name = NewName("cv");
        host.Run($"New-SandboxVolume -Name '{name}' -Size 16Mi | Out-Null");
        try
        {
            using var ps = host.NewShell();
            const string input = "Resize-SandboxVolume -Name ";
            var texts = CommandCompletion.CompleteInput(input, input.Length, null, ps).CompletionMatches.Select(m => m.CompletionText).ToList();
            Assert.Contains(name, texts);
            Assert.DoesNotContain("python", texts);
        }
        finally
        {
            host.Run($"Remove-SandboxVolume -Name '{name}' -Force");
        }
    }

    [Fact]
    public void ForEach_Object_Parallel_uses_the_connection_passed_with_using()
    {
        var prefix = NewName("par");
        var result = host.Run($$"""
            $c = Get-SandboxConnection
            1..3 | ForEach-Object -ThrottleLimit 3 -Parallel {
                Import-Module '{{ModuleHost.Manifest}}'
                $box = New-Sandbox -Template base -Name ('{{prefix}}-' + $_) -Connection $using:c
                ($box | Invoke-SandboxCommand "echo $_" -Connection $using:c).Stdout.Trim()
                $box | Remove-Sandbox -Force -Connection $using:c
            } | Sort-Object
            """);
        Assert.Equal(["1", "2", "3"], result.Select(r => r.ToString()));
    }
}
