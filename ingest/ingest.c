/* placeholder until the daemon lands (replaced in the next commits) */
int main(void)
{
    return 0;
}
