/* placeholder so the static library is never empty; removed once real modules exist */
int tap_placeholder_unused(void);
int tap_placeholder_unused(void)
{
    return 0;
}
