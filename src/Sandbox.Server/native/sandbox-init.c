/*
 * sandbox-init: the small native half of the local sandbox server.
 *
 *   sandbox-init launch --socket PATH --log PATH [--cgroup DIR]... (-- RUNC ARGS... | --args-from-stdin)
 *       Runs on the host. Starts a new session, joins the sandbox's cgroups (so that
 *       runc and everything under it is accounted from the first instruction), binds
 *       the control socket as fd 3, opens its own executable as fd 4 and execs
 *       `runc run --detach --preserve-fds 2 ...`, whose container process is
 *       `/proc/self/fd/4 serve 3` (see Runtime/OciBundle.cs).
 *       With --args-from-stdin the launcher is started ahead of time: it joins its
 *       cgroups (on cgroup v1 each migration waits for an RCU grace period, ~10 ms) and
 *       then waits for the runc arguments, NUL-separated, until end-of-file on stdin.
 *       End-of-file with no arguments means the slot was not needed: exit quietly.
 *
 *   sandbox-init serve FD
 *       Runs as pid 1 inside the sandbox. Accepts one request per connection on the
 *       inherited listening socket and forks a handler for it, so a slow request never
 *       blocks the next one. Being pid 1 it also reaps orphans (SIGCHLD ignored).
 *       It makes itself non-dumpable first: commands run as the same user inside, and
 *       without that they could ptrace it, read its memory or take its descriptors
 *       (/proc/1/fd, pidfd_getfd) - the control socket among them.
 *
 * Wire format on the control socket (server -> helper): a u32 little-endian payload
 * length, then the payload: NUL-terminated strings. The first sendmsg carries the
 * file descriptors (SCM_RIGHTS). Replies are text lines; a file reply carries an fd.
 *
 *   exec:  "exec" cwd argc argv... envc env...        fds: stdin?, stdout, stderr
 *          replies "S <pid>" once started, then "X <status>" (128+signal when killed),
 *          or "E <stage> <errno>" (stage: chdir, exec, fork, user, proto).
 *   execas: "execas" uid gid ngroups groups... cwd argc argv... envc env...   as exec, run as
 *          that user (run_config.user, resolved by the server from the sandbox's /etc/passwd
 *          and /etc/group): supplementary groups, gid, uid set before chdir ("E user <errno>").
 *          Either way a command starts with no capabilities: the helper holds CAP_SETUID,
 *          CAP_SETGID and CAP_SETPCAP (namespaced: only the sandbox's own ids) to switch users,
 *          and each command drops the bounding set and every capability before its exec.
 *          Later bytes from the server: 'K' kills the command's process group;
 *          end of stream (the server went away) does the same.
 *   open:  "open" mode path   (mode "r" or "w")  -> "F" with the fd, or "E open <errno>";
 *          regular files only: a file on /proc, /sys or another kernel pseudo-filesystem
 *          is "E pseudofs <errno>"
 *   upload: "upload" path     -> "T" with a new temp file `.<name>.sandbox-upload-<random>`
 *          in the target's directory, or "E open|pseudofs <errno>". Then one byte from the
 *          server: 'C' renames the temp over the target ("R", or "E rename <errno>");
 *          anything else or end of stream (client gone, server killed) removes the temp.
 *   connect: "connect" port   -> "F" with a TCP socket connected to 127.0.0.1:port in the
 *          sandbox's network namespace, or "E connect <errno>" (service URLs proxy through it)
 *   walk:  "walk" path maxdepth -> "W", then one record per entry under the directory `path`,
 *          depth first, each "<type> <size> <mtime>\0<relative path>\0" (type d, f, l for a
 *          symlink, o for anything else; lstat values), then ".\0"; or "E open|pseudofs <errno>".
 *          Symlinks are listed, never followed; directories on /proc, /sys and their kin are
 *          listed but not entered. The server stops reading (closes) when it has enough.
 *   pty:   "pty" cols rows cwd argc argv... envc env...   -> "S <pid>" with the terminal's master fd,
 *          then "X <status>" as exec (or "E open|fork|chdir|exec|user <errno>"). A pseudo-terminal of the
 *          sandbox's own /dev/pts: the command leads a new session with the terminal's other end as its
 *          controlling terminal and stdin/stdout/stderr, without capabilities. 'K' or end of stream kills it.
 *   ping:  "ping"             -> "P <pid>"
 *
 * Paths are opened by this process, inside the sandbox's mount namespace, so `..` and
 * symlinks resolve against the sandbox's own root and can never reach the host.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sched.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <limits.h>
#include <unistd.h>

#define MAX_PAYLOAD (4 * 1024 * 1024)
#define MAX_FDS 3
#define HOME_DIR "/home/user"

static int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len) {
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void reply(int conn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(int conn, const char *fmt, ...) {
    char line[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    line[n++] = '\n';
    write_all(conn, line, (size_t)n);
}

static int send_fd_reply(int conn, const char *text, int fd) {
    struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                         .msg_controllen = sizeof control};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    return sendmsg(conn, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Reads the length header with recvmsg (collecting any passed fds), then the payload. */
static char *read_request(int conn, int *fds, int *nfds, uint32_t *len_out) {
    uint32_t len = 0;
    char control[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    struct iovec iov = {.iov_base = &len, .iov_len = sizeof len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                         .msg_controllen = sizeof control};
    ssize_t n;
    do n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
    if (n <= 0) return NULL;
    *nfds = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            int count = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < count && *nfds < MAX_FDS; i++)
                memcpy(&fds[(*nfds)++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
        }
    }
    if ((size_t)n < sizeof len && read_all(conn, (char *)&len + n, sizeof len - (size_t)n) < 0)
        return NULL;
    if (len == 0 || len > MAX_PAYLOAD) return NULL;
    char *buf = malloc((size_t)len + 1);
    if (!buf || read_all(conn, buf, len) < 0) return NULL;
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

/* Splits the payload into its NUL-terminated strings. */
static int split_strings(char *buf, uint32_t len, char ***out) {
    int count = 0;
    for (uint32_t i = 0; i < len; i++)
        if (buf[i] == '\0') count++;
    char **items = calloc((size_t)count + 1, sizeof(char *));
    if (!items) return -1;
    int k = 0;
    for (uint32_t start = 0, i = 0; i < len; i++)
        if (buf[i] == '\0') {
            items[k++] = buf + start;
            start = i + 1;
        }
    *out = items;
    return count;
}

/* Signals every process of session `sid` (fields after the comm in /proc/N/stat: state ppid pgrp session); returns how many. */
static int kill_session_members(pid_t sid) {
    DIR *proc = opendir("/proc");
    if (!proc) return 0;
    int found = 0;
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(entry->d_name, &end, 10);
        if (*end != '\0' || pid <= 1) continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) continue;
        buf[n] = '\0';
        char *close_paren = strrchr(buf, ')');
        int ppid, pgrp, session;
        char state;
        if (!close_paren || sscanf(close_paren + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4) continue;
        if (session == sid && state != 'Z') {
            kill((pid_t)pid, SIGKILL);
            found++;
        }
    }
    closedir(proc);
    return found;
}

static void kill_group(pid_t pid) {
    /*
     * The command leads its own session (setsid in the child): everything it started that stayed in that session dies
     * with it, background jobs and a fork bomb's copies included. Members fork while we signal, so repeat until none
     * is left (the pids cgroup bounds how many there can be), for at most about two seconds.
     */
    for (int i = 0; i < 2000; i++) {
        int group_gone = kill(-pid, SIGKILL) < 0 && errno == ESRCH;
        int members = kill_session_members(pid);
        if (group_gone && members == 0) break;
        usleep(1000);
    }
    kill(pid, SIGKILL);
}

static void reset_child_state(void) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    /* The launcher shields the helper from the OOM killer; commands must not inherit that. */
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        write_all(fd, "0", 1);
        close(fd);
    }
}

static const char *resolve(const char *path, char *buf, size_t size) {
    if (path[0] == '/') return path;
    snprintf(buf, size, "%s/%s", HOME_DIR, path);
    return buf;
}

static int mkdir_parents(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc < 0 && errno != EEXIST) return -1;
    }
    return 0;
}

/* /proc, /sys and their kin: sizes lie (0 or 4096) and reads can fail or have effects. */
static int on_pseudo_fs(int fd) {
    struct statfs fs;
    if (fstatfs(fd, &fs) < 0) return 0;
    switch ((unsigned long)fs.f_type) {
    case 0x9fa0UL:     /* proc */
    case 0x62656572UL: /* sysfs */
    case 0x64626720UL: /* debugfs */
    case 0x74726163UL: /* tracefs */
    case 0x73636673UL: /* securityfs */
    case 0x27e0ebUL:   /* cgroup */
    case 0x63677270UL: /* cgroup2 */
    case 0x62656570UL: /* configfs */
    case 0xcafe4a11UL: /* bpf */
    case 0x6165676cUL: /* pstore */
    case 0xde5e81e4UL: /* efivarfs */
        return 1;
    }
    return 0;
}

static void handle_open(int conn, char **items, int count) {
    if (count < 3) {
        reply(conn, "E proto %d", EINVAL);
        return;
    }
    int writing = strcmp(items[1], "w") == 0;
    char buf[8192];
    const char *path = resolve(items[2], buf, sizeof buf);
    if (writing) {
        char copy[8192];
        snprintf(copy, sizeof copy, "%s", path);
        if (mkdir_parents(copy) < 0) {
            reply(conn, "E open %d", errno);
            return;
        }
    }
    /* Never open a device, FIFO or socket: opening one can have effects of its own. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        reply(conn, "E open %d", S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
        return;
    }
    /* O_NONBLOCK so that a FIFO planted at the path cannot hang the handler. */
    int flags = (writing ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY) | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        reply(conn, "E open %d", errno);
        return;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        close(fd);
        reply(conn, "E open %d", err);
        return;
    }
    if (on_pseudo_fs(fd)) {
        close(fd);
        reply(conn, "E pseudofs %d", EINVAL);
        return;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    send_fd_reply(conn, "F\n", fd);
    close(fd);
}

/* An atomic upload: the data goes to a temp file beside the target, renamed over it on 'C'. */
static void handle_upload(int conn, char **items, int count) {
    if (count < 2) {
        reply(conn, "E proto %d", EINVAL);
        return;
    }
    char buf[PATH_MAX], real[PATH_MAX], dir[PATH_MAX];
    const char *path = resolve(items[1], buf, sizeof buf);
    if (strlen(path) >= sizeof dir - 1) {
        reply(conn, "E open %d", ENAMETOOLONG);
        return;
    }
    snprintf(dir, sizeof dir, "%s", path);
    if (mkdir_parents(dir) < 0) {
        reply(conn, "E open %d", errno);
        return;
    }
    /* An existing target is replaced where symlinks lead, as a write through them would. */
    if (realpath(path, real)) snprintf(dir, sizeof dir, "%s", real);
    char *slash = strrchr(dir, '/');
    char *base = slash + 1;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        reply(conn, "E open %d", EISDIR);
        return;
    }
    *slash = '\0';
    int dir_fd = open(slash == dir ? "/" : dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        reply(conn, "E open %d", errno);
        return;
    }
    if (on_pseudo_fs(dir_fd)) {
        reply(conn, "E pseudofs %d", EINVAL);
        return;
    }
    struct stat st;
    int exists = fstatat(dir_fd, base, &st, 0) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        reply(conn, "E open %d", S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
        return;
    }
    char tmp[NAME_MAX + 1];
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 16; attempt++) {
        uint64_t r = 0;
        if (getrandom(&r, sizeof r, 0) != sizeof r) r = ((uint64_t)getpid() << 32) ^ ((uint64_t)attempt * 0x9e3779b97f4a7c15ULL);
        snprintf(tmp, sizeof tmp, ".%.200s.sandbox-upload-%016llx", base, (unsigned long long)r);
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        reply(conn, "E open %d", errno);
        return;
    }
    if (exists) {
        /* The new content keeps the old file's owner and permission bits (never setuid/setgid:
         * a write without CAP_FSETID would have cleared them too). */
        if (fchown(fd, st.st_uid, st.st_gid) < 0) { /* best effort */ }
        fchmod(fd, st.st_mode & 0777);
    }
    if (send_fd_reply(conn, "T\n", fd) < 0) {
        unlinkat(dir_fd, tmp, 0);
        return;
    }
    char c = 0;
    ssize_t n;
    do n = read(conn, &c, 1); while (n < 0 && errno == EINTR);
    if (n == 1 && c == 'C') {
        if (fsync(fd) == 0 && renameat(dir_fd, tmp, dir_fd, base) == 0) {
            reply(conn, "R");
            return;
        }
        int err = errno;
        unlinkat(dir_fd, tmp, 0);
        reply(conn, "E rename %d", err);
        return;
    }
    unlinkat(dir_fd, tmp, 0);
}

static void handle_connect(int conn, char **items, int count) {
    if (count < 2) {
        reply(conn, "E proto %d", EINVAL);
        return;
    }
    char *end = NULL;
    long port = strtol(items[1], &end, 10);
    if (!end || *end != '\0' || port < 1 || port > 65535) {
        reply(conn, "E proto %d", EINVAL);
        return;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        reply(conn, "E connect %d", errno);
        return;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc;
    do rc = connect(fd, (struct sockaddr *)&addr, sizeof addr); while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int err = errno;
        close(fd);
        reply(conn, "E connect %d", err);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    send_fd_reply(conn, "F\n", fd);
    close(fd);
}

/*
 * In a command's child, before its exec: leaves no capability behind (the bounding set too, or an exec as uid 0
 * would get them all back) and, with `as_user`, becomes that user. 0, or -1 with errno.
 */
static int become_user(int as_user, uid_t uid, gid_t gid, int ngroups, const gid_t *groups) {
    /* Sandboxes booted with no capabilities at all have an empty bounding set: nothing to drop there. */
    for (int cap = 0; cap < 64; cap++) {
        int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in_set < 0) break; /* past the kernel's last capability */
        if (in_set == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) return -1;
    }
    if (as_user) {
        if (setgroups((size_t)ngroups, groups) < 0) return -1;
        if (setresgid(gid, gid, gid) < 0) return -1;
        if (setresuid(uid, uid, uid) < 0) return -1;
    }
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) < 0) return -1;
    return 0;
}

#define MAX_GROUPS 64

static void wait_command(int conn, pid_t pid);

/* What to run: items[0] is the slot before cwd, then cwd argc argv... envc env... */
struct command {
    const char *cwd;
    char **argv;
    char **env;
};

static int parse_command(char **items, int count, struct command *cmd) {
    if (count < 4) return -1;
    cmd->cwd = items[1];
    int argc = atoi(items[2]);
    if (argc < 1 || 3 + argc >= count) return -1;
    cmd->argv = &items[3];
    int envc = atoi(items[3 + argc]);
    if (envc < 0 || 4 + argc + envc > count) return -1;
    char **envp = &items[4 + argc];
    cmd->argv[argc] = NULL; /* overwrites the envc slot, already read */
    cmd->env = calloc((size_t)envc + 1, sizeof(char *));
    if (!cmd->env) return -1;
    for (int i = 0; i < envc; i++) cmd->env[i] = envp[i];
    return 0;
}

/* In the child: becomes the user (dropping every capability), enters cwd and execs; on failure reports the stage and errno. */
static void exec_command(const struct command *cmd, int as_user, uid_t uid, gid_t gid, int ngroups, const gid_t *groups, int status_fd) {
    char stage = 'u';
    if (become_user(as_user, uid, gid, ngroups, groups) == 0 && (stage = 'c', chdir(cmd->cwd) == 0)) {
        stage = 'x';
        environ = cmd->env;
        execvpe(cmd->argv[0], cmd->argv, cmd->env);
    }
    int err = errno;
    write_all(status_fd, &stage, 1);
    write_all(status_fd, &err, sizeof err);
    _exit(127);
}

/* A pipe for the child's start report, then fork: 0 in the child (in a new session, signals reset), the pid in the parent, or -1 after replying "E fork". */
static pid_t fork_command(int conn, int status_pipe[2]) {
    if (pipe2(status_pipe, O_CLOEXEC) < 0) {
        reply(conn, "E fork %d", errno);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        reply(conn, "E fork %d", errno);
        close(status_pipe[0]);
        close(status_pipe[1]);
        return -1;
    }
    if (pid == 0) {
        reset_child_state();
        setsid();
    }
    return pid;
}

/* In the parent: 0 once the command has exec'd, or -1 after replying "E <stage> <errno>" (the child reaped). */
static int await_exec(int conn, pid_t pid, int status_fd) {
    char stage;
    int err = 0;
    if (read(status_fd, &stage, 1) == 1) {
        read_all(status_fd, &err, sizeof err);
        waitpid(pid, NULL, 0);
        close(status_fd);
        reply(conn, "E %s %d", stage == 'o' ? "open" : stage == 'u' ? "user" : stage == 'c' ? "chdir" : "exec", err);
        return -1;
    }
    close(status_fd);
    return 0;
}

static void handle_exec(int conn, char **items, int count, int *fds, int nfds) {
    /* items: "exec" cwd argc argv... envc env...
     *   or: "execas" uid gid ngroups groups... cwd argc argv... envc env... */
    int as_user = strcmp(items[0], "execas") == 0;
    uid_t uid = 0;
    gid_t gid = 0;
    gid_t groups[MAX_GROUPS];
    int ngroups = 0;
    if (as_user) {
        if (count < 4) {
            reply(conn, "E proto %d", EINVAL);
            return;
        }
        uid = (uid_t)strtoul(items[1], NULL, 10);
        gid = (gid_t)strtoul(items[2], NULL, 10);
        ngroups = atoi(items[3]);
        if (ngroups < 0 || ngroups > MAX_GROUPS || 4 + ngroups >= count) {
            reply(conn, "E proto %d", EINVAL);
            return;
        }
        for (int i = 0; i < ngroups; i++) groups[i] = (gid_t)strtoul(items[4 + i], NULL, 10);
        /* The rest has exec's layout, "exec" in the slot before cwd. */
        items += 3 + ngroups;
        count -= 3 + ngroups;
    }
    struct command cmd;
    if (nfds < 2 || parse_command(items, count, &cmd) < 0) {
        reply(conn, "E proto %d", EINVAL);
        return;
    }

    int in_fd = nfds == 3 ? fds[0] : -1;
    int out_fd = fds[nfds - 2], err_fd = fds[nfds - 1];

    int status_pipe[2];
    pid_t pid = fork_command(conn, status_pipe);
    if (pid < 0) return;
    if (pid == 0) {
        if (in_fd < 0) in_fd = open("/dev/null", O_RDONLY);
        dup2(in_fd, 0);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        exec_command(&cmd, as_user, uid, gid, ngroups, groups, status_pipe[1]);
    }
    close(status_pipe[1]);
    for (int i = 0; i < nfds; i++) close(fds[i]);
    if (await_exec(conn, pid, status_pipe[0]) < 0) return;
    reply(conn, "S %d", pid);

    wait_command(conn, pid);
}

/* Waits for the command while listening for a kill request or the server going away; "X <status>" at its end. */
static void wait_command(int conn, pid_t pid) {
    /* Wait for the command while listening for a kill request or the server going away. */
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int conn_open = 1;
    while (pidfd >= 0) {
        struct pollfd pfd[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = conn, .events = POLLIN}};
        int rc = poll(pfd, conn_open ? 2 : 1, -1);
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0 || (pfd[0].revents & POLLIN)) break;
        if (conn_open && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            char c;
            ssize_t n = read(conn, &c, 1);
            if (n <= 0 || c == 'K') kill_group(pid);
            if (n <= 0) conn_open = 0;
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (conn_open) reply(conn, "X %d", code);
}


/* A command on a new pseudo-terminal inside the sandbox; the master end goes back to the server. */
static void handle_pty(int conn, char **items, int count) {
    if (count < 3) {
        reply(conn, "E proto %d", EINVAL);
        return;
    }
    struct winsize ws = {.ws_col = (unsigned short)atoi(items[1]), .ws_row = (unsigned short)atoi(items[2])};
    struct command cmd;
    if (parse_command(items + 2, count - 2, &cmd) < 0) {
        reply(conn, "E proto %d", EINVAL);
        return;
    }
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
        reply(conn, "E open %d", errno);
        return;
    }
    char slave_name[128];
    if (ptsname_r(master, slave_name, sizeof slave_name) != 0) {
        reply(conn, "E open %d", errno);
        return;
    }
    ioctl(master, TIOCSWINSZ, &ws);
    int status_pipe[2];
    pid_t pid = fork_command(conn, status_pipe);
    if (pid < 0) return;
    if (pid == 0) {
        char stage = 'o';
        int slave = open(slave_name, O_RDWR);
        if (slave >= 0 && ioctl(slave, TIOCSCTTY, 0) == 0) {
            dup2(slave, 0);
            dup2(slave, 1);
            dup2(slave, 2);
            if (slave > 2) close(slave);
            exec_command(&cmd, 0, 0, 0, 0, NULL, status_pipe[1]);
        }
        int err = errno;
        write_all(status_pipe[1], &stage, 1);
        write_all(status_pipe[1], &err, sizeof err);
        _exit(127);
    }
    close(status_pipe[1]);
    if (await_exec(conn, pid, status_pipe[0]) < 0) {
        close(master);
        return;
    }
    char line[64];
    snprintf(line, sizeof line, "S %d\n", pid);
    int sent = send_fd_reply(conn, line, master);
    close(master);
    if (sent < 0) {
        kill_group(pid);
        return;
    }
    wait_command(conn, pid);
}

#define WALK_MAX_DEPTH 64

static int walk_emit(int conn, char type, const struct stat *st, const char *rel) {
    char head[64];
    int n = snprintf(head, sizeof head, "%c %lld %lld", type, (long long)st->st_size, (long long)st->st_mtim.tv_sec);
    if (write_all(conn, head, (size_t)n + 1) < 0) return -1;
    return write_all(conn, rel, strlen(rel) + 1);
}

/* Lists the entries of the open directory `dfd` (closed here) whose paths start with `rel`; -1 once the server is gone. */
static int walk_dir(int conn, int dfd, char *rel, size_t rel_len, size_t rel_size, int depth, int maxdepth) {
    DIR *dir = fdopendir(dfd);
    if (!dir) {
        close(dfd);
        return 0;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        size_t name_len = strlen(e->d_name);
        if (rel_len + name_len + 2 > rel_size) continue; /* past PATH_MAX: not listed */
        size_t len = rel_len;
        if (len > 0) rel[len++] = '/';
        memcpy(rel + len, e->d_name, name_len + 1);
        struct stat st;
        if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rel[rel_len] = '\0';
            continue; /* gone meanwhile */
        }
        char type = S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : 'o';
        rc = walk_emit(conn, type, &st, rel);
        if (rc == 0 && type == 'd' && depth + 1 < maxdepth) {
            /* O_NOFOLLOW: a directory swapped for a symlink meanwhile is not entered. */
            int sub = openat(dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) {
                if (on_pseudo_fs(sub)) close(sub);
                else rc = walk_dir(conn, sub, rel, len + name_len, rel_size, depth + 1, maxdepth);
            }
        }
        rel[rel_len] = '\0';
    }
    closedir(dir);
    return rc;
}

static void handle_walk(int conn, char **items, int count) {
    if (count < 3) {
        reply(conn, "E proto %d", EINVAL);
        return;
    }
    char buf[8192];
    const char *path = resolve(items[1], buf, sizeof buf);
    int maxdepth = atoi(items[2]);
    if (maxdepth < 1 || maxdepth > WALK_MAX_DEPTH) maxdepth = WALK_MAX_DEPTH;
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        reply(conn, "E open %d", errno);
        return;
    }
    if (on_pseudo_fs(dfd)) {
        close(dfd);
        reply(conn, "E pseudofs %d", EINVAL);
        return;
    }
    reply(conn, "W");
    char rel[PATH_MAX];
    rel[0] = '\0';
    if (walk_dir(conn, dfd, rel, 0, sizeof rel, 0, maxdepth) == 0) write_all(conn, ".", 2);
}

static void handle_connection(int conn) {
    int fds[MAX_FDS];
    int nfds = 0;
    uint32_t len = 0;
    char *buf = read_request(conn, fds, &nfds, &len);
    if (!buf) return;
    char **items;
    int count = split_strings(buf, len, &items);
    if (count < 1) return;
    if (strcmp(items[0], "exec") == 0 || strcmp(items[0], "execas") == 0) handle_exec(conn, items, count, fds, nfds);
    else if (strcmp(items[0], "open") == 0) handle_open(conn, items, count);
    else if (strcmp(items[0], "upload") == 0) handle_upload(conn, items, count);
    else if (strcmp(items[0], "connect") == 0) handle_connect(conn, items, count);
    else if (strcmp(items[0], "walk") == 0) handle_walk(conn, items, count);
    else if (strcmp(items[0], "pty") == 0) handle_pty(conn, items, count);
    else if (strcmp(items[0], "ping") == 0) reply(conn, "P %d", getpid());
    else reply(conn, "E proto %d", EINVAL);
}

static int serve(int listen_fd) {
    /* Before anything else: commands run as our uid, see the header. Exec of a command makes it dumpable again. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return 1;
    fcntl(listen_fd, F_SETFD, FD_CLOEXEC);
    close(4); /* our own executable, opened by the launcher */
    /* The launcher's log is a host file: nothing inside writes to it once we serve. */
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        close(devnull);
    }
    /* pid 1: let the kernel reap orphans for us. Handlers restore SIGCHLD. */
    struct sigaction sa = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
                usleep(10000);
                continue;
            }
            return 1;
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(listen_fd);
            signal(SIGCHLD, SIG_DFL);
            handle_connection(conn);
            _exit(0);
        }
        if (pid < 0) reply(conn, "E fork %d", errno); /* pids limit reached */
        close(conn);
    }
}

static int join_cgroup(const char *dir) {
    char path[4096], pid[32];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int n = snprintf(pid, sizeof pid, "%d", getpid());
    int rc = write_all(fd, pid, (size_t)n);
    close(fd);
    return rc;
}

/* Reads NUL-separated arguments from stdin until end-of-file. */
static char **read_stdin_args(void) {
    size_t size = 0, cap = 4096;
    char *buf = malloc(cap);
    for (;;) {
        if (size == cap) buf = realloc(buf, cap *= 2);
        ssize_t n = read(0, buf + size, cap - size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        size += (size_t)n;
    }
    size_t count = 0;
    for (size_t k = 0; k < size; k++)
        if (buf[k] == '\0') count++;
    char **args = calloc(count + 1, sizeof(char *));
    for (size_t k = 0, start = 0, j = 0; k < size; k++)
        if (buf[k] == '\0') {
            args[j++] = buf + start;
            start = k + 1;
        }
    return args;
}

/*
 * Makes the sandbox's user namespace before runc runs, owned by `owner` (an otherwise unused host uid) rather than
 * by root: the kernel charges per-user limits (inotify instances and watches, user namespaces, processes...) of
 * every process inside also to the namespace's owner in the parent namespace, so a namespace that root created
 * would let one sandbox use up host root's share. A child drops to `owner`, unshares a user namespace and waits;
 * we write its id maps (`map`: "HOSTID SIZE", inside ids start at 0), keep a descriptor of the namespace (runc joins
 * it through /proc/<our pid>/fd/N) and let the child go. Returns the descriptor, or -1.
 */
static int make_userns(uid_t owner, const char *map) {
    int ready[2], hold[2];
    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0) return -1;
    pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
        close(ready[0]);
        close(hold[1]);
        char status = 'u';
        if (setgroups(0, NULL) < 0 || setresgid(owner, owner, owner) < 0 || setresuid(owner, owner, owner) < 0 ||
            unshare(CLONE_NEWUSER) < 0)
            status = 'e';
        write_all(ready[1], &status, 1);
        char c;
        while (read(hold[0], &c, 1) < 0 && errno == EINTR) {}
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    char status = 'e';
    int fd = -1;
    if (read(ready[0], &status, 1) == 1 && status == 'u') {
        char path[64], line[64];
        int n = snprintf(line, sizeof line, "0 %s\n", map);
        const char *files[] = {"uid_map", "gid_map"};
        int ok = 1;
        for (int k = 0; k < 2 && ok; k++) {
            snprintf(path, sizeof path, "/proc/%d/%s", (int)child, files[k]);
            int mf = open(path, O_WRONLY | O_CLOEXEC);
            ok = mf >= 0 && write(mf, line, (size_t)n) == n;
            if (mf >= 0) close(mf);
        }
        snprintf(path, sizeof path, "/proc/%d/ns/user", (int)child);
        if (ok) fd = open(path, O_RDONLY); /* not close-on-exec: runc, which we become, must still have it */
    }
    close(hold[1]);
    close(ready[0]);
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
    return fd;
}

static int launch(int argc, char **argv) {
    const char *socket_path = NULL, *log_path = "/dev/null", *userns_map = NULL;
    long userns_owner = -1;
    int from_stdin = 0;
    int i = 2;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (strcmp(argv[i], "--args-from-stdin") == 0) {
            from_stdin = 1;
            continue;
        }
        if (i + 1 >= argc) break;
        if (strcmp(argv[i], "--socket") == 0) socket_path = argv[++i];
        else if (strcmp(argv[i], "--log") == 0) log_path = argv[++i];
        else if (strcmp(argv[i], "--userns-owner") == 0) userns_owner = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--userns-map") == 0) userns_map = argv[++i];
        else if (strcmp(argv[i], "--cgroup") == 0) {
            if (join_cgroup(argv[++i]) < 0) {
                fprintf(stderr, "sandbox-init: cannot join cgroup %s: %s\n", argv[i], strerror(errno));
                return 111;
            }
        } else {
            fprintf(stderr, "sandbox-init: unknown option %s\n", argv[i]);
            return 111;
        }
    }
    if (!socket_path || (i >= argc && !from_stdin)) {
        fprintf(stderr, "usage: sandbox-init launch --socket PATH [--log PATH] [--cgroup DIR]... [--userns-owner UID --userns-map 'HOSTID SIZE'] (-- RUNC ARGS... | --args-from-stdin)\n");
        return 111;
    }
    setsid();
    /* Shield bwrap and the helper from the OOM killer; commands reset this to 0. */
    int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (oom >= 0) {
        write_all(oom, "-1000", 5);
        close(oom);
    }

    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof addr.sun_path) {
        fprintf(stderr, "sandbox-init: socket path too long\n");
        return 111;
    }
    strcpy(addr.sun_path, socket_path);
    unlink(socket_path);
    if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(sock, 256) < 0) {
        fprintf(stderr, "sandbox-init: cannot listen on %s: %s\n", socket_path, strerror(errno));
        return 111;
    }
    chmod(socket_path, 0600);
    int userns = -1;
    if (userns_owner > 0 && userns_map) {
        userns = make_userns((uid_t)userns_owner, userns_map);
        if (userns < 0) {
            fprintf(stderr, "sandbox-init: cannot make the user namespace: %s\n", strerror(errno));
            return 111;
        }
    }
    int self = open("/proc/self/exe", O_RDONLY);
    int devnull = open("/dev/null", O_RDWR);
    int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (self < 0 || devnull < 0 || log < 0) {
        fprintf(stderr, "sandbox-init: setup failed: %s\n", strerror(errno));
        return 111;
    }
    char **exec_args = &argv[i];
    if (from_stdin) {
        exec_args = read_stdin_args();
        if (!exec_args[0]) {
            unlink(socket_path);
            return 0;
        }
    }
    /* Move the socket and our executable out of the way first, so that placing one never closes the other. */
    int high_sock = fcntl(sock, F_DUPFD, 100), high_self = fcntl(self, F_DUPFD, 100);
    int high_userns = userns >= 0 ? fcntl(userns, F_DUPFD, 100) : -1;
    if (high_sock < 0 || high_self < 0 || (userns >= 0 && high_userns < 0)) return 111;
    dup2(devnull, 0);
    dup2(log, 1);
    dup2(log, 2);
    if (dup2(high_sock, 3) < 0 || dup2(high_self, 4) < 0) return 111;
    /* fd 5: the user namespace, named to runc as /proc/<this pid>/fd/5 (see Runtime/OciBundle.cs). */
    if (high_userns >= 0 && dup2(high_userns, 5) < 0) return 111;
    for (int fd = high_userns >= 0 ? 6 : 5; fd < 128; fd++) close(fd);
    execvp(exec_args[0], exec_args);
    fprintf(stderr, "sandbox-init: cannot exec %s: %s\n", exec_args[0], strerror(errno));
    return 111;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "launch") == 0) return launch(argc, argv);
    if (argc >= 3 && strcmp(argv[1], "serve") == 0) return serve(atoi(argv[2]));
    fprintf(stderr, "usage: sandbox-init launch ... | serve FD\n");
    return 2;
}
