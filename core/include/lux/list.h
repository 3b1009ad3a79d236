/*
 * Intrusive circular doubly-linked lists.  An empty list head points at
 * itself, so insert and remove never test for the ends.
 */
#ifndef LUX_LIST_H
#define LUX_LIST_H

#include <lux/types.h>

struct list {
	struct list *next, *prev;
};

#define LIST_INIT(name) \
	{ \
		&(name), &(name) \
	}

static inline void list_init(struct list *l)
{
	l->next = l->prev = l;
}
static inline bool list_empty(const struct list *l)
{
	return l->next == l;
}

static inline void list_insert_after(struct list *pos, struct list *n)
{
	n->prev = pos;
	n->next = pos->next;
	pos->next->prev = n;
	pos->next = n;
}

static inline void list_push_back(struct list *head, struct list *n)
{
	list_insert_after(head->prev, n);
}

static inline void list_push_front(struct list *head, struct list *n)
{
	list_insert_after(head, n);
}

/* Unlink n and make it a list of its own, so a second remove is harmless. */
static inline void list_remove(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

static inline struct list *list_pop_front(struct list *head)
{
	struct list *n;

	if (list_empty(head))
		return 0;
	n = head->next;
	list_remove(n);
	return n;
}

static inline size_t list_length(const struct list *head)
{
	size_t n = 0;
	for (const struct list *p = head->next; p != head; p = p->next)
		n++;
	return n;
}

#define list_entry(p, type, member) containerof(p, type, member)
#define list_for_each(p, head) for ((p) = (head)->next; (p) != (head); (p) = (p)->next)
#define list_for_each_safe(p, tmp, head) \
	for ((p) = (head)->next, (tmp) = (p)->next; (p) != (head); (p) = (tmp), (tmp) = (p)->next)

#endif
