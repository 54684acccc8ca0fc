/* placeholder so the static library is never empty; removed once real modules exist */
int target_placeholder_unused(void);
int target_placeholder_unused(void)
{
    return 0;
}
