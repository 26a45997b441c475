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

#endif
