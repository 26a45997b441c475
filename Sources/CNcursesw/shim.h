#ifndef DEFRAGSCOPE_CNCURSESW_SHIM_H
#define DEFRAGSCOPE_CNCURSESW_SHIM_H
// ncursesw for Swift: the wide-character API needs these defines before the header, and the macros and
// mutable globals Swift cannot import get small static inline wrappers (INTEROP-NOTES.md, ncursesw).
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <stdlib.h>
#include <fcntl.h>
#include <termios.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>

static inline WINDOW *ds_stdscr(void) { return stdscr; }
static inline int ds_lines(void) { return LINES; }
static inline int ds_cols(void) { return COLS; }
static inline int ds_colors(void) { return COLORS; }
static inline int ds_color_pairs(void) { return COLOR_PAIRS; }
static inline void ds_getmaxyx(WINDOW *window, int *y, int *x) { int yy, xx; getmaxyx(window, yy, xx); *y = yy; *x = xx; }

/// newterm on the process's own stdout/stdin; NULL when terminfo does not know `term` (never exits).
static inline SCREEN *ds_newterm(const char *term) { return newterm(term, stdout, stdin); }

/// Whether terminfo has an entry for `term` (does not print, does not exit).
static inline int ds_terminfo_knows(const char *term) {
    int status = 0;
    TERMINAL *saved = cur_term;
    if (setupterm(term, STDOUT_FILENO, &status) != OK) { return 0; }
    TERMINAL *made = cur_term;
    set_curterm(saved);
    del_curterm(made);
    return 1;
}

/// Whether the current locale's codeset is UTF-8.
static inline int ds_codeset_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

static inline attr_t ds_a_normal(void) { return A_NORMAL; }
static inline attr_t ds_a_bold(void) { return A_BOLD; }
static inline attr_t ds_a_reverse(void) { return A_REVERSE; }
static inline attr_t ds_a_underline(void) { return A_UNDERLINE; }
static inline attr_t ds_a_dim(void) { return A_DIM; }

static inline int ds_key_resize(void) { return KEY_RESIZE; }
static inline int ds_key_mouse(void) { return KEY_MOUSE; }
static inline int ds_key_up(void) { return KEY_UP; }
static inline int ds_key_down(void) { return KEY_DOWN; }
static inline int ds_key_left(void) { return KEY_LEFT; }
static inline int ds_key_right(void) { return KEY_RIGHT; }
static inline int ds_key_ppage(void) { return KEY_PPAGE; }
static inline int ds_key_npage(void) { return KEY_NPAGE; }
static inline int ds_key_home(void) { return KEY_HOME; }
static inline int ds_key_end(void) { return KEY_END; }
static inline int ds_key_enter(void) { return KEY_ENTER; }

/// Listens for left clicks (press and click, so terminals reporting either work) and the wheel.
static inline void ds_enable_mouse(void) {
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
              | BUTTON5_PRESSED
#endif
              , NULL);
    mouseinterval(0);
}

/// Reads the pending mouse event: 1 left click, 4 wheel up, 5 wheel down, 0 other or none.
static inline int ds_read_mouse(int *x, int *y) {
    MEVENT event;
    if (getmouse(&event) != OK) { return 0; }
    *x = event.x; *y = event.y;
    if (event.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) { return 1; }
    if (event.bstate & BUTTON4_PRESSED) { return 4; }
#ifdef BUTTON5_PRESSED
    if (event.bstate & BUTTON5_PRESSED) { return 5; }
#endif
    return 0;
}

/// Draws one wide character with attributes and a colour pair.
static inline int ds_put(int y, int x, wchar_t character, attr_t attributes, short pair) {
    cchar_t cell;
    wchar_t text[2] = { character, 0 };
    setcchar(&cell, text, attributes, pair, NULL);
    return mvadd_wch(y, x, &cell);
}

/* Signals: the handler only records the number; the event loop polls it. The flag is a weak definition,
   not a static: every object file that inlines these helpers (a release build splits a module into several)
   must share one flag, and the linker merges weak definitions into one. */
__attribute__((weak)) volatile sig_atomic_t ds_signal_received_flag = 0;
static inline void ds_on_signal(int number) { ds_signal_received_flag = number; }
static inline void ds_install_signal_handlers(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = ds_on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    /* A parent may start us with these blocked (a child inherits its mask; a Swift test process or a
       supervisor blocks most signals): then q is the only way out and ncurses never sees SIGWINCH. */
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGHUP);
    sigaddset(&wanted, SIGWINCH);
    sigprocmask(SIG_UNBLOCK, &wanted, NULL);
}
static inline void ds_restore_signal_handlers(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}
/// The signal received since the last call (0: none).
static inline int ds_take_signal(void) { int number = ds_signal_received_flag; ds_signal_received_flag = 0; return number; }

/* Flow control: Ctrl-S and Ctrl-Q reach the program as keys instead of stopping and restarting the
   terminal's output. ncurses' saved program mode is updated too, so it survives a suspend and resume. */
static inline void ds_disable_flow_control(void) {
    struct termios mode;
    if (tcgetattr(STDIN_FILENO, &mode) != 0) { return; }
    mode.c_iflag &= ~(tcflag_t)(IXON | IXOFF);
    tcsetattr(STDIN_FILENO, TCSANOW, &mode);
    def_prog_mode();
}

/* Fatal signals (SIGSEGV, SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGTRAP, and SIGQUIT, which Ctrl-backslash sends).
   While the screen is up, a handler puts the terminal back first — the shell's tty modes saved before ncurses
   started, and the terminfo strings that leave the alternate screen, show the cursor and stop mouse reports —
   then gives the standard error the program wrote meanwhile (a "Precondition failed" line goes there just
   before the trap) back to the real standard error, and hands the signal to the handler that was there
   before (Swift's backtracer), then to the default action. Only async-signal-safe calls (write, read, lseek,
   dup2, close, tcsetattr, sigaction, raise). The state is weak definitions, as for the flag above, each with
   an initializer: a tentative definition (no initializer) is never emitted through Swift's importer, and its
   address would be null. */
#define DS_FATAL_SIGNAL_LIMIT 65
__attribute__((weak)) struct termios ds_shell_mode = {0};
__attribute__((weak)) volatile sig_atomic_t ds_shell_mode_saved = 0;
__attribute__((weak)) char ds_restore_sequence[512] = {0};
__attribute__((weak)) volatile sig_atomic_t ds_restore_sequence_length = 0;
__attribute__((weak)) struct sigaction ds_previous_fatal_actions[DS_FATAL_SIGNAL_LIMIT] = {{{0}}};
__attribute__((weak)) volatile sig_atomic_t ds_fatal_handlers_installed = 0;
/* Standard error while the screen is up: an unlinked temporary file; the real one is kept in saved. */
__attribute__((weak)) volatile sig_atomic_t ds_stderr_saved_fd = -1;
__attribute__((weak)) volatile sig_atomic_t ds_stderr_capture_fd = -1;

static inline const int *ds_fatal_signals(int *count) {
    static const int signals[] = { SIGSEGV, SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGTRAP, SIGQUIT };
    *count = (int)(sizeof signals / sizeof signals[0]);
    return signals;
}

/// Saves the shell's tty modes; call before ncurses changes them.
static inline void ds_save_shell_mode(void) {
    ds_shell_mode_saved = tcgetattr(STDIN_FILENO, &ds_shell_mode) == 0;
}

static inline void ds_append_restore(const char *text) {
    if (text == NULL || text == (const char *)-1) { return; }
    size_t length = strlen(text);
    size_t used = (size_t)ds_restore_sequence_length;
    if (used + length >= sizeof ds_restore_sequence) { return; }
    memcpy(ds_restore_sequence + used, text, length);
    ds_restore_sequence_length = (sig_atomic_t)(used + length);
}

/// Prepares what a crash writes to the terminal (from the current terminal's terminfo entry).
static inline void ds_prepare_crash_restore(int mouse) {
    ds_restore_sequence_length = 0;
    ds_append_restore(tigetstr("sgr0"));
    if (mouse && key_mouse != NULL) { ds_append_restore("\033[?1006l\033[?1003l\033[?1002l\033[?1000l"); }
    ds_append_restore(tigetstr("rmkx"));
    ds_append_restore(tigetstr("cnorm"));
    ds_append_restore(tigetstr("rmcup"));
    ds_append_restore("\r\n");
}

/// Sends standard error to an unlinked temporary file until ds_release_stderr (no-op if that fails).
static inline void ds_capture_stderr(void) {
    if (ds_stderr_capture_fd >= 0) { return; }
    char path[] = "/tmp/defragscope-stderr-XXXXXX";
    int capture = mkstemp(path);
    if (capture < 0) { return; }
    unlink(path);
    int saved = dup(STDERR_FILENO);
    if (saved < 0 || dup2(capture, STDERR_FILENO) < 0) {
        close(capture);
        if (saved >= 0) { close(saved); }
        return;
    }
    fcntl(saved, F_SETFD, FD_CLOEXEC);
    fcntl(capture, F_SETFD, FD_CLOEXEC);
    ds_stderr_saved_fd = saved;
    ds_stderr_capture_fd = capture;
}

/// Gives standard error back and writes to it what was captured (async-signal-safe).
static inline void ds_release_stderr(void) {
    int saved = ds_stderr_saved_fd, capture = ds_stderr_capture_fd;
    if (saved < 0 || capture < 0) { return; }
    ds_stderr_saved_fd = -1;
    ds_stderr_capture_fd = -1;
    dup2(saved, STDERR_FILENO);
    close(saved);
    char buffer[4096];
    if (lseek(capture, 0, SEEK_SET) == 0) {
        ssize_t count;
        while ((count = read(capture, buffer, sizeof buffer)) > 0) {
            ssize_t offset = 0;
            while (offset < count) {
                ssize_t written = write(STDERR_FILENO, buffer + offset, (size_t)(count - offset));
                if (written <= 0) { break; }
                offset += written;
            }
            if (offset < count) { break; }
        }
    }
    close(capture);
}

static inline void ds_restore_terminal_now(void) {
    int length = ds_restore_sequence_length;
    ds_restore_sequence_length = 0;
    if (length > 0) {
        ssize_t written = write(STDOUT_FILENO, ds_restore_sequence, (size_t)length);
        (void)written;
    }
    if (ds_shell_mode_saved) {
        ds_shell_mode_saved = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &ds_shell_mode);
    }
    ds_release_stderr();
}

static inline void ds_on_fatal_signal(int number, siginfo_t *info, void *context) {
    ds_restore_terminal_now();
    struct sigaction previous;
    if (number > 0 && number < DS_FATAL_SIGNAL_LIMIT) {
        previous = ds_previous_fatal_actions[number];
    } else {
        memset(&previous, 0, sizeof previous);
        previous.sa_handler = SIG_DFL;
    }
    sigaction(number, &previous, NULL);
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction != NULL) { previous.sa_sigaction(number, info, context); }
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(number);
    }
    /* Whatever the previous handler did, the signal ends the program with its default action: Swift's
       backtracer returns after its report, and for a signal sent with kill (not a fault that recurs when
       the instruction runs again) the program would go on without its terminal. Raised here it is blocked,
       and arrives as soon as this handler returns. */
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(number, &fallback, NULL);
    raise(number);
}

static inline void ds_install_fatal_handlers(void) {
    if (ds_fatal_handlers_installed) { return; }
    int count = 0;
    const int *signals = ds_fatal_signals(&count);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = ds_on_fatal_signal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < count; i++) {
        struct sigaction *previous = &ds_previous_fatal_actions[signals[i]];
        if (sigaction(signals[i], NULL, previous) != 0) { continue; }
        /* A signal the parent set to be ignored (SIGQUIT under nohup) stays ignored. */
        if (!(previous->sa_flags & SA_SIGINFO) && previous->sa_handler == SIG_IGN) { continue; }
        sigaction(signals[i], &action, NULL);
    }
    ds_fatal_handlers_installed = 1;
}

static inline void ds_remove_fatal_handlers(void) {
    if (!ds_fatal_handlers_installed) { return; }
    int count = 0;
    const int *signals = ds_fatal_signals(&count);
    for (int i = 0; i < count; i++) { sigaction(signals[i], &ds_previous_fatal_actions[signals[i]], NULL); }
    ds_fatal_handlers_installed = 0;
    ds_restore_sequence_length = 0;
    ds_shell_mode_saved = 0;
}

#endif
