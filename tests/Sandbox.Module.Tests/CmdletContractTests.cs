namespace Sandbox.Module.Tests;

/// <summary>Every exported cmdlet, as PowerShell would load it from out/Sandbox/SandboxModule.dll.</summary>
[Collection(StagedModuleCollection.Name)]
public sealed class CmdletContractTests(StagedModule module)
{
    /// <summary>Get-Verb on PowerShell 7.4.</summary>
    public static readonly IReadOnlySet<string> ApprovedVerbs = new HashSet<string>(StringComparer.Ordinal)
    {
        // Common
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New",
        "Open", "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show",
        "Skip", "Split", "Step", "Switch", "Undo", "Unlock", "Watch",
        // Communications
        "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        // Data
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand",
        "Export", "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync",
        "Unpublish", "Update",
        // Diagnostic
        "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace",
        // Lifecycle
        "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke",
        "Register", "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait",
        // Security
        "Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect",
        // Other
        "Use",
    };

    private static readonly string[] DestructiveVerbs = ["Remove", "Stop", "Suspend", "Rename"];

    /// <summary>Verbs whose cmdlets always write objects (others write only with -PassThru).</summary>
    private static readonly string[] OutputVerbs = ["Get", "New", "Connect", "Invoke"];

    private static readonly string[] UntypedOutputs = ["System.Object", "System.Management.Automation.PSObject", "System.String"];

    private void Check(Func<CmdletModel, IEnumerable<string>> rule, string what)
    {
        module.RequireLoaded();
        Assert.NotEmpty(module.ExportedCmdlets);
        var problems = new List<string>();
        foreach (var name in module.ExportedCmdlets)
        {
            if (!module.Cmdlets.TryGetValue(name, out var cmdlet)) continue;  // reported by Every_exported_cmdlet_exists
            problems.AddRange(rule(cmdlet).Select(p => $"{name}: {p}"));
        }
        Assert.True(problems.Count == 0, $"{what}:\n  " + string.Join("\n  ", problems));
    }

    [Fact]
    public void Every_exported_cmdlet_exists_as_a_Cmdlet_class()
    {
        module.RequireLoaded();
        Assert.NotEmpty(module.ExportedCmdlets);
        var missing = module.ExportedCmdlets.Where(n => !module.Cmdlets.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0,
            $"exported by Sandbox.psd1 but no [Cmdlet] class in {StagedModule.CmdletAssemblyFile}: {string.Join(", ", missing)}" +
            $"\n(the assembly declares: {string.Join(", ", module.Cmdlets.Keys.Order())})");
    }

    [Fact]
    public void Every_Cmdlet_class_is_exported()
    {
        module.RequireLoaded();
        var unexported = module.Cmdlets.Keys.Where(n => !module.ExportedCmdlets.Contains(n, StringComparer.OrdinalIgnoreCase)).Order().ToList();
        Assert.True(unexported.Count == 0, $"[Cmdlet] classes that Sandbox.psd1 CmdletsToExport does not list: {string.Join(", ", unexported)}");
    }

    [Fact]
    public void Exported_names_use_approved_verbs()
    {
        module.RequireLoaded();
        Assert.NotEmpty(module.ExportedCmdlets);
        var bad = module.ExportedCmdlets.Where(n => !ApprovedVerbs.Contains(n.Split('-')[0])).ToList();
        Assert.True(bad.Count == 0, $"not an approved verb (Get-Verb): {string.Join(", ", bad)}");
        Check(c => ApprovedVerbs.Contains(c.Verb) ? [] : [$"[Cmdlet] verb '{c.Verb}' is not approved"], "unapproved verbs");
    }

    [Fact]
    public void Cmdlet_classes_are_public_sealed_cmdlets()
    {
        Check(c =>
        {
            var p = new List<string>();
            if (!c.Type.IsSealed) p.Add($"{c.Type.FullName} is not sealed");
            if (!c.Type.IsPublic) p.Add($"{c.Type.FullName} is not public");
            if (c.Type.IsAbstract) p.Add($"{c.Type.FullName} is abstract");
            bool isCmdlet = false;
            for (var t = c.Type.BaseType; t is not null; t = t.BaseType)
                isCmdlet |= t.FullName is "System.Management.Automation.Cmdlet" or "System.Management.Automation.PSCmdlet";
            if (!isCmdlet) p.Add($"{c.Type.FullName} does not derive from Cmdlet/PSCmdlet");
            return p;
        }, "cmdlet classes");
    }

    [Fact]
    public void Destructive_cmdlets_support_ShouldProcess_and_Remove_has_High_impact_and_Force()
    {
        Check(c =>
        {
            var p = new List<string>();
            if (!DestructiveVerbs.Contains(c.Verb)) return p;
            if (!c.SupportsShouldProcess) p.Add("destructive but [Cmdlet] has no SupportsShouldProcess = true (-WhatIf/-Confirm)");
            if (c.Verb == "Remove")
            {
                if (c.ConfirmImpact != "High") p.Add($"ConfirmImpact is {c.ConfirmImpact}, expected High");
                var force = c.FindParameter("Force");
                if (force is null) p.Add("has no -Force parameter");
                else if (!force.IsSwitch) p.Add($"-Force is {force.Type.FullName}, expected a SwitchParameter");
            }
            return p;
        }, "destructive cmdlets");
    }

    [Fact]
    public void Cmdlets_that_write_objects_declare_a_specific_OutputType()
    {
        Check(c =>
        {
            var p = new List<string>();
            bool writes = OutputVerbs.Contains(c.Verb) || c.FindParameter("PassThru") is not null;
            if (writes && c.OutputTypes.Count == 0)
                p.Add($"writes objects ({(OutputVerbs.Contains(c.Verb) ? $"verb {c.Verb}" : "-PassThru")}) but has no [OutputType]");
            foreach (var o in c.OutputTypes)
            {
                if (o.Name is "System.Object" or "System.Management.Automation.PSObject" or "object" or "psobject" or "PSObject")
                    p.Add($"[OutputType({o.Name})] says nothing; name the .NET type it writes (a cmdlet that only passes on a script block's output declares no [OutputType])");
                else if (o.Type is null && !o.Name.Contains('.'))
                    p.Add($"[OutputType(\"{o.Name}\")] is not a full type name");
            }
            // Text is a fine output only next to a typed one (e.g. Invoke-SandboxCommand -Stream) or for *-Content.
            if (c.OutputTypes.Count > 0 && c.OutputTypes.All(o => UntypedOutputs.Contains(o.Name)) && !c.Noun.EndsWith("Content"))
                p.Add($"declares only [{string.Join(", ", c.OutputTypes.Select(o => o.Name))}]; output is typed .NET objects");
            return p;
        }, "[OutputType]");
    }

    [Fact]
    public void Every_cmdlet_has_a_help_doc_and_a_Pester_test()
    {
        module.RequireLoaded();
        Assert.NotEmpty(module.ExportedCmdlets);
        var problems = new List<string>();
        foreach (var name in module.ExportedCmdlets)
        {
            if (!File.Exists(Path.Combine(TestEnvironment.DocsDir, name + ".md"))) problems.Add($"{name}: docs/cmdlets/{name}.md is missing");
            if (!File.Exists(Path.Combine(TestEnvironment.PesterDir, name + ".Tests.ps1"))) problems.Add($"{name}: tests/pester/{name}.Tests.ps1 is missing");
        }
        Assert.True(problems.Count == 0, "per-cmdlet files:\n  " + string.Join("\n  ", problems));
    }

    [Fact]
    public void Parameters_are_unambiguous()
    {
        Check(c =>
        {
            var p = new List<string>();
            var names = c.Parameters.SelectMany(x => x.Aliases.Prepend(x.Name).Select(n => (n, x.Name)));
            foreach (var g in names.GroupBy(n => n.n, StringComparer.OrdinalIgnoreCase).Where(g => g.Select(x => x.Name).Distinct().Count() > 1))
                p.Add($"'{g.Key}' names more than one parameter ({string.Join(", ", g.Select(x => "-" + x.Name).Distinct())})");
            foreach (var setGroup in c.Parameters.SelectMany(x => x.Sets.Select(s => (s, x))).Where(t => t.s.Position >= 0).GroupBy(t => (t.s.SetName, t.s.Position)))
                if (setGroup.Count() > 1)
                    p.Add($"position {setGroup.Key.Position} is taken twice in set '{setGroup.Key.SetName}' ({string.Join(", ", setGroup.Select(t => "-" + t.x.Name))})");
            return p;
        }, "parameter names and positions");
    }
}
