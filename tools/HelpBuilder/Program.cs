using HelpBuilder;

// HelpBuilder: docs/cmdlets/*.md (platyPS schema 2.0.0) -> MAML help that Get-Help reads.
//
//   HelpBuilder --docs <dir> --out <file.dll-Help.xml> [--module <Module Name>]
//   HelpBuilder <dir> <file.dll-Help.xml>
//
// Exit codes: 0 written; 1 a help file is malformed or incomplete (each problem printed as
// "file(line): error HELP001: [SECTION] message"); 2 bad usage.
return Cli.Run(args, Console.Out, Console.Error);

namespace HelpBuilder
{
    public static class Cli
    {
        public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
        {
            string? docs = null, output = null, module = null;
            var positional = new List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                string a = args[i];
                string? Next() => i + 1 < args.Length ? args[++i] : null;
                switch (a)
                {
                    case "--docs": docs = Next(); break;
                    case "--out": output = Next(); break;
                    case "--module": module = Next(); break;
                    case "-h" or "--help": return Usage(stderr, null);
                    default:
                        if (a.StartsWith('-')) return Usage(stderr, $"unknown option '{a}'");
                        positional.Add(a);
                        break;
                }
            }
            if (positional.Count > 0 && docs is null) { docs = positional[0]; positional.RemoveAt(0); }
            if (positional.Count > 0 && output is null) { output = positional[0]; positional.RemoveAt(0); }
            if (positional.Count > 0) return Usage(stderr, $"unexpected argument '{positional[0]}'");
            if (docs is null || output is null) return Usage(stderr, "both the docs directory and the output file are needed");
            if (!Directory.Exists(docs))
            {
                stderr.WriteLine($"HelpBuilder: error HELP002: the docs directory '{docs}' does not exist");
                return 1;
            }

            var files = Directory.GetFiles(docs, "*.md").Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
            {
                stderr.WriteLine($"HelpBuilder: error HELP002: no cmdlet help (*.md) in '{docs}'");
                return 1;
            }

            try
            {
                var commands = Build(files, Path.GetFileName(output), module);
                MamlWriter.WriteFile(commands, output);
                stdout.WriteLine($"HelpBuilder: {commands.Count} command(s) from {docs} -> {output}");
                return 0;
            }
            catch (HelpDocException e)
            {
                foreach (var error in e.Errors) stderr.WriteLine(error);
                stderr.WriteLine($"HelpBuilder: {e.Errors.Count} problem(s) in the cmdlet help; {output} was not written");
                return 1;
            }
        }

        /// <summary>Parses every file, then checks that they agree with each other and with the output file name.</summary>
        public static List<CommandHelp> Build(IEnumerable<string> files, string outputFileName, string? moduleName)
        {
            var commands = new List<CommandHelp>();
            var errors = new List<HelpDocError>();
            foreach (var file in files)
            {
                string shown = Path.GetRelativePath(Directory.GetCurrentDirectory(), file);
                if (shown.StartsWith("..")) shown = file;
                try
                {
                    var help = MarkdownHelpParser.ParseFile(file, shown);
                    if (help.FrontMatter.TryGetValue("external help file", out var helpFile) &&
                        !string.Equals(helpFile.Trim(), outputFileName, StringComparison.OrdinalIgnoreCase))
                    {
                        errors.Add(new HelpDocError(shown, 1, "front matter",
                            $"'external help file: {helpFile}' does not match the help file being built ('{outputFileName}'); Get-Help would not find it"));
                    }
                    if (moduleName is not null && help.FrontMatter.TryGetValue("Module Name", out var mod) &&
                        !string.Equals(mod.Trim(), moduleName, StringComparison.OrdinalIgnoreCase))
                    {
                        errors.Add(new HelpDocError(shown, 1, "front matter", $"'Module Name: {mod}' is not '{moduleName}'"));
                    }
                    if (commands.FirstOrDefault(c => string.Equals(c.Name, help.Name, StringComparison.OrdinalIgnoreCase)) is { } dup)
                        errors.Add(new HelpDocError(shown, 1, "title", $"'{help.Name}' is also documented in {dup.SourceFile}"));
                    commands.Add(help);
                }
                catch (HelpDocException e)
                {
                    errors.AddRange(e.Errors);
                }
            }
            if (errors.Count > 0) throw new HelpDocException(errors);
            return commands;
        }

        private static int Usage(TextWriter stderr, string? problem)
        {
            if (problem is not null) stderr.WriteLine($"HelpBuilder: {problem}");
            stderr.WriteLine("usage: HelpBuilder --docs <docs/cmdlets> --out <en-US/Assembly.dll-Help.xml> [--module <Module Name>]");
            return 2;
        }
    }
}
