using System.Runtime.InteropServices;
using System.Text;

namespace SandboxModule;

/// <summary>
/// The local console as the keyboard of a remote terminal (Enter-Sandbox): while it is open, keys are not echoed or
/// edited locally, Ctrl+C is a key (byte 3) instead of a signal to pwsh, and <see cref="Read"/> returns what was typed,
/// to be sent as is. Disposing restores the console exactly as it was.
/// </summary>
internal abstract class TerminalInput : IDisposable
{
    private readonly bool _treatedControlCAsInput;

    protected TerminalInput()
    {
        // Before the raw mode: on Unix .NET applies its own terminal settings when this changes.
        _treatedControlCAsInput = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
    }

    /// <summary>A key as the bytes a VT terminal sends for it.</summary>
    private protected static string KeySequence(ConsoleKeyInfo key)
    {
        var text = key.Key switch
        {
            ConsoleKey.UpArrow => "\e[A",
            ConsoleKey.DownArrow => "\e[B",
            ConsoleKey.RightArrow => "\e[C",
            ConsoleKey.LeftArrow => "\e[D",
            ConsoleKey.Home => "\e[H",
            ConsoleKey.End => "\e[F",
            ConsoleKey.Insert => "\e[2~",
            ConsoleKey.Delete => "\e[3~",
            ConsoleKey.PageUp => "\e[5~",
            ConsoleKey.PageDown => "\e[6~",
            ConsoleKey.Enter => "\r",
            ConsoleKey.Backspace => "\x7f",
            >= ConsoleKey.F1 and <= ConsoleKey.F4 => "\eO" + (char)('P' + (key.Key - ConsoleKey.F1)),
            >= ConsoleKey.F5 and <= ConsoleKey.F12 => $"\e[{FunctionKeyCodes[key.Key - ConsoleKey.F5]}~",
            _ => key.KeyChar == '\0' ? "" : key.KeyChar.ToString(),
        };
        return (key.Modifiers & ConsoleModifiers.Alt) != 0 && text.Length > 0 ? "\e" + text : text;
    }

    private static readonly int[] FunctionKeyCodes = [15, 17, 18, 19, 20, 21, 23, 24];

    /// <summary>The console's input in raw mode: raw bytes on Unix (termios), keys translated to VT sequences on Windows.</summary>
    public static TerminalInput Open() => OperatingSystem.IsWindows() ? new WindowsKeys() : new UnixRawInput();

    /// <summary>True when pwsh runs in a real terminal: neither its input nor its output is redirected.</summary>
    public static bool Available => !Console.IsInputRedirected && !Console.IsOutputRedirected;

    /// <summary>The console window's size, or 80 x 24 where it reports none.</summary>
    public static TerminalSize CurrentSize()
    {
        try
        {
            // On Unix asked of the terminal itself each time: .NET may answer a size cached before a resize.
            var (cols, rows) = OperatingSystem.IsWindows() ? (Console.WindowWidth, Console.WindowHeight) : UnixRawInput.WindowSize();
            return new TerminalSize(Math.Clamp(cols > 0 ? cols : 80, 1, TerminalSize.Max), Math.Clamp(rows > 0 ? rows : 24, 1, TerminalSize.Max));
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException)
        {
            return new TerminalSize(80, 24);
        }
    }

    /// <summary>What was typed, waiting at most <paramref name="timeoutMilliseconds"/>; empty when nothing was.</summary>
    public abstract string Read(int timeoutMilliseconds);

    public virtual void Dispose() => Console.TreatControlCAsInput = _treatedControlCAsInput;

    /// <summary>Unix: cfmakeraw on fd 0 (no echo, no line editing, no signals from keys, no output post-processing); bytes read as typed.</summary>
    private sealed class UnixRawInput : TerminalInput
    {
        private const int StdIn = 0;
        private const int TcsaNow = 0;
        private const short PollIn = 1;
        // struct termios is 60 bytes on Linux and 72 on macOS: an opaque buffer larger than both.
        private readonly byte[] _saved = new byte[256];
        private readonly byte[] _buffer = new byte[4096];
        private readonly char[] _chars = new char[4096 + 4];
        private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();

        public UnixRawInput()
        {
            if (tcgetattr(StdIn, _saved) != 0) throw new IOException($"cannot read the terminal's settings (errno {Marshal.GetLastWin32Error()})");
            var raw = (byte[])_saved.Clone();
            cfmakeraw(raw);
            if (tcsetattr(StdIn, TcsaNow, raw) != 0) throw new IOException($"cannot put the terminal in raw mode (errno {Marshal.GetLastWin32Error()})");
        }

        public override string Read(int timeoutMilliseconds)
        {
            var fd = new PollFd { Fd = StdIn, Events = PollIn };
            if (poll(ref fd, 1, timeoutMilliseconds) <= 0 || (fd.REvents & PollIn) == 0) return "";
            var n = (int)read(StdIn, _buffer, _buffer.Length);
            if (n <= 0) return "";
            // A character split across two reads is completed by the next one.
            var count = _utf8.GetChars(_buffer, 0, n, _chars, 0, flush: false);
            return new string(_chars, 0, count);
        }

        /// <summary>TIOCGWINSZ on standard output: (columns, rows), or zeros when it is no terminal.</summary>
        public static (int Cols, int Rows) WindowSize()
        {
            var size = new WinSize();
            return ioctl(1, OperatingSystem.IsMacOS() ? 0x40087468UL : 0x5413UL, ref size) == 0 ? (size.Cols, size.Rows) : (0, 0);
        }

        public override void Dispose()
        {
            tcsetattr(StdIn, TcsaNow, _saved);
            base.Dispose();
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct PollFd
        {
            public int Fd;
            public short Events;
            public short REvents;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct WinSize
        {
            public ushort Rows, Cols, XPixel, YPixel;
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int ioctl(int fd, ulong request, ref WinSize size);

        [DllImport("libc", SetLastError = true)]
        private static extern int tcgetattr(int fd, byte[] termios);

        [DllImport("libc", SetLastError = true)]
        private static extern int tcsetattr(int fd, int optionalActions, byte[] termios);

        [DllImport("libc")]
        private static extern void cfmakeraw(byte[] termios);

        [DllImport("libc", SetLastError = true)]
        private static extern int poll(ref PollFd fds, nuint count, int timeout);

        [DllImport("libc", SetLastError = true)]
        private static extern nint read(int fd, byte[] buffer, nint count);
    }

    /// <summary>Windows: keys read with Console.ReadKey (no echo; Ctrl+C a key) and written as the VT sequences a Unix terminal sends.</summary>
    private sealed class WindowsKeys : TerminalInput
    {
        public override string Read(int timeoutMilliseconds)
        {
            var deadline = Environment.TickCount64 + timeoutMilliseconds;
            while (!Console.KeyAvailable)
            {
                if (Environment.TickCount64 >= deadline) return "";
                Thread.Sleep(10);
            }
            var typed = new StringBuilder();
            while (Console.KeyAvailable) typed.Append(KeySequence(Console.ReadKey(intercept: true)));
            return typed.ToString();
        }
    }
}
