/* placeholder until the CLI lands (replaced in the next commits) */
int main(void)
{
    return 0;
}
