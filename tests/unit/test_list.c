/* Intrusive circular lists (core/include/lux/list.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <lux/list.h>

struct item {
	int v;
	struct list link;
};

static struct list static_head = LIST_INIT(static_head);

/* The list's values front to back, and the same walked back to front, so a
 * broken prev pointer shows up as well as a broken next. */
static void expect_list(struct list *head, const int *want, size_t n)
{
	struct list *p;
	size_t i = 0;

	assert_int_equal(list_length(head), n);
	list_for_each(p, head) {
		assert_true(i < n);
		assert_int_equal(list_entry(p, struct item, link)->v, want[i]);
		i++;
	}
	assert_int_equal(i, n);
	for (p = head->prev; p != head; p = p->prev) {
		assert_true(i > 0);
		i--;
		assert_int_equal(list_entry(p, struct item, link)->v, want[i]);
	}
	assert_int_equal(i, 0);
	assert_int_equal(list_empty(head), n == 0);
}

static void test_empty(void **state)
{
	struct list head;

	(void)state;
	list_init(&head);
	assert_true(list_empty(&head));
	assert_ptr_equal(head.next, &head);
	assert_ptr_equal(head.prev, &head);
	assert_int_equal(list_length(&head), 0);
	assert_null(list_pop_front(&head));
	assert_true(list_empty(&static_head));	/* LIST_INIT is an empty list */
	assert_null(list_pop_front(&static_head));
}

static void test_push_and_insert(void **state)
{
	struct item it[5] = { { .v = 0 }, { .v = 1 }, { .v = 2 }, { .v = 3 }, { .v = 4 } };
	struct list head;

	(void)state;
	list_init(&head);
	list_push_back(&head, &it[1].link);
	list_push_back(&head, &it[2].link);
	list_push_front(&head, &it[0].link);
	expect_list(&head, (const int[]){ 0, 1, 2 }, 3);
	list_insert_after(&it[1].link, &it[3].link);
	expect_list(&head, (const int[]){ 0, 1, 3, 2 }, 4);
	list_insert_after(head.prev, &it[4].link);	/* after the last = push_back */
	expect_list(&head, (const int[]){ 0, 1, 3, 2, 4 }, 5);
	assert_ptr_equal(list_entry(head.next, struct item, link), &it[0]);
}

static void test_remove_and_pop(void **state)
{
	struct item it[4] = { { .v = 0 }, { .v = 1 }, { .v = 2 }, { .v = 3 } };
	struct list head;

	(void)state;
	list_init(&head);
	for (int i = 0; i < 4; i++)
		list_push_back(&head, &it[i].link);
	list_remove(&it[2].link);
	expect_list(&head, (const int[]){ 0, 1, 3 }, 3);
	/* a removed node is a list of its own */
	assert_true(list_empty(&it[2].link));
	/* so removing it again changes nothing */
	list_remove(&it[2].link);
	expect_list(&head, (const int[]){ 0, 1, 3 }, 3);
	assert_true(list_empty(&it[2].link));

	assert_ptr_equal(list_pop_front(&head), &it[0].link);
	assert_true(list_empty(&it[0].link));
	expect_list(&head, (const int[]){ 1, 3 }, 2);
	list_remove(&it[3].link);	/* the last one */
	expect_list(&head, (const int[]){ 1 }, 1);
	assert_ptr_equal(list_pop_front(&head), &it[1].link);
	expect_list(&head, 0, 0);
	assert_null(list_pop_front(&head));

	/* a removed node can be inserted again */
	list_push_back(&head, &it[2].link);
	list_push_front(&head, &it[0].link);
	expect_list(&head, (const int[]){ 0, 2 }, 2);
}

static void test_for_each_safe_delete(void **state)
{
	struct item it[6];
	struct list head, *p, *tmp;
	int visited = 0;

	(void)state;
	list_init(&head);
	for (int i = 0; i < 6; i++) {
		it[i].v = i;
		list_push_back(&head, &it[i].link);
	}
	/* delete the even ones while walking: every node is still visited once */
	list_for_each_safe(p, tmp, &head) {
		struct item *x = list_entry(p, struct item, link);
		assert_int_equal(x->v, visited);
		visited++;
		if (x->v % 2 == 0)
			list_remove(p);
	}
	assert_int_equal(visited, 6);
	expect_list(&head, (const int[]){ 1, 3, 5 }, 3);

	/* and deleting everything leaves an empty head */
	list_for_each_safe(p, tmp, &head)
		list_remove(p);
	expect_list(&head, 0, 0);
	list_for_each_safe(p, tmp, &head)
		fail_msg("walked an empty list");
}

static void test_move_between_lists(void **state)
{
	struct item it[3] = { { .v = 0 }, { .v = 1 }, { .v = 2 } };
	struct list a, b, *l;

	(void)state;
	list_init(&a);
	list_init(&b);
	for (int i = 0; i < 3; i++)
		list_push_back(&a, &it[i].link);
	/* the scheduler's pattern: pop from one queue, push on another */
	while ((l = list_pop_front(&a)) != 0)
		list_push_front(&b, l);
	expect_list(&a, 0, 0);
	expect_list(&b, (const int[]){ 2, 1, 0 }, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_push_and_insert),
		cmocka_unit_test(test_remove_and_pop),
		cmocka_unit_test(test_for_each_safe_delete),
		cmocka_unit_test(test_move_between_lists),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
