/* interrupt.h - signals for the event loop (interrupt.c). */
#ifndef HH_INTERRUPT_H
#define HH_INTERRUPT_H

struct loop;

/* Installs the handlers; each signal writes a byte to wake_fd. */
void interrupt_install(int wake_fd);
/* 1 while loop_run runs (signals are the loop's), 0 outside (they end hh). */
void interrupt_enter(int running);
/* Acts on the signals counted since the last call: the first stops new
 * submissions and starts the grace; the loop stops after a second. */
void loop_handle_signals(struct loop *lp);

#endif
