namespace Sandbox.Server.Runtime;

/// <summary>Files only their owner may read (0600, in 0700 directories): the API key, registry passwords.</summary>
public static class PrivateFile
{
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> through a temp file created 0600, renamed over it.</summary>
    public static void Write(string path, string content)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write, UnixCreateMode = FileMode }))
        using (var writer = new StreamWriter(stream))
            writer.Write(content);
        File.SetUnixFileMode(temp, FileMode); // a temp left by a crash may have had another mode
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Makes <paramref name="dir"/> (0700) when missing and tightens it when it exists.</summary>
    public static string Directory(string dir)
    {
        System.IO.Directory.CreateDirectory(dir, DirectoryMode);
        File.SetUnixFileMode(dir, DirectoryMode);
        return dir;
    }
}
