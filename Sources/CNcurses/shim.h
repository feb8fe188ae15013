#ifndef AMPS_NCURSES_SHIM_H
#define AMPS_NCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <ncursesw/curses.h>

/* Swift cannot import function-like macros; these wrap the ones the backend uses. */
static inline int amps_color_pair(int n) { return COLOR_PAIR(n); }
static inline int amps_lines(void) { return LINES; }
static inline int amps_cols(void) { return COLS; }
static inline int amps_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int amps_getmaxx(WINDOW *w) { return getmaxx(w); }
static inline WINDOW *amps_stdscr(void) { return stdscr; }
static inline int amps_colors(void) { return COLORS; }
static inline int amps_color_pairs(void) { return COLOR_PAIRS; }
static inline unsigned long amps_a_bold(void) { return A_BOLD; }
static inline unsigned long amps_a_reverse(void) { return A_REVERSE; }
static inline unsigned long amps_a_dim(void) { return A_DIM; }
static inline unsigned long amps_a_underline(void) { return A_UNDERLINE; }
static inline int amps_key_resize(void) { return KEY_RESIZE; }
static inline int amps_key_mouse(void) { return KEY_MOUSE; }
static inline int amps_err(void) { return ERR; }
#endif
