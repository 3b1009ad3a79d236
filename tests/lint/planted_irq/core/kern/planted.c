/* Planted for lint-irq-masking-catches: a bare masking pair, which
 * tests/lint/irq_masking.sh must find (it is never compiled). */
void planted(void);
void planted(void)
{
	unsigned long s = arch_irq_save();

	arch_irq_restore(s);
}
