#ifndef AMPS_NCURSES_SHIM_H
#define AMPS_NCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <ncursesw/curses.h>

/* term.h's setupterm, declared alone: term.h itself defines macros named after every
   capability (lines, columns, ...) that would shadow ordinary names in this header. */
extern int setupterm(const char *term, int filedes, int *errret);

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
static inline int amps_ok(void) { return OK; }

/* Mouse masks are function-like macros (NCURSES_MOUSE_MASK). */
static inline mmask_t amps_all_mouse_events(void) { return ALL_MOUSE_EVENTS; }
static inline mmask_t amps_button1_pressed(void) { return BUTTON1_PRESSED | BUTTON1_CLICKED; }
static inline mmask_t amps_button2_pressed(void) { return BUTTON2_PRESSED | BUTTON2_CLICKED; }
static inline mmask_t amps_button3_pressed(void) { return BUTTON3_PRESSED | BUTTON3_CLICKED; }
static inline mmask_t amps_button4_pressed(void) { return BUTTON4_PRESSED; }
static inline mmask_t amps_button5_pressed(void) { return BUTTON5_PRESSED; }
/* KEY_F(n) is a function-like macro; the octal key codes are wrapped so their values
   do not depend on how the importer treats octal literals. */
static inline int amps_key_f(int n) { return KEY_F(n); }
static inline int amps_key_code_yes(void) { return KEY_CODE_YES; }
static inline int amps_key_up(void) { return KEY_UP; }
static inline int amps_key_down(void) { return KEY_DOWN; }
static inline int amps_key_left(void) { return KEY_LEFT; }
static inline int amps_key_right(void) { return KEY_RIGHT; }
static inline int amps_key_ppage(void) { return KEY_PPAGE; }
static inline int amps_key_npage(void) { return KEY_NPAGE; }
static inline int amps_key_home(void) { return KEY_HOME; }
static inline int amps_key_end(void) { return KEY_END; }
static inline int amps_key_backspace(void) { return KEY_BACKSPACE; }
static inline int amps_key_dc(void) { return KEY_DC; }
static inline int amps_key_ic(void) { return KEY_IC; }
static inline int amps_key_btab(void) { return KEY_BTAB; }
static inline int amps_key_enter(void) { return KEY_ENTER; }
#endif
