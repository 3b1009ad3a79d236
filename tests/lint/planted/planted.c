/*
 * Not part of any build: lint-catches runs tests/lint/lint.sh on this
 * folder alone and wants it to fail, so a lint that silently checks
 * nothing (a broken config, a cppcheck that finds no files) fails too.
 * Each function has one bug of a kind the kernel must never have.
 */
#include <lux/kern.h>

int planted_out_of_bounds(void)
{
	int a[4] = { 0 };

	return a[4];	/* one past the end */
}

int planted_null(int *p)
{
	if (p == 0)
		*p = 1;	/* dereferenced where it is known null */
	return p ? *p : 0;
}
