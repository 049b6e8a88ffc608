/*
 * cli_config - `alertdesk config check|print|reference` and
 * `alertdesk token hash`: settings tooling for operators.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli.h"

int cli_config(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    const char *config = NULL;
    for (int i = 2; i < argc; i++) {
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
            config = argv[++i];
        } else {
            fprintf(stderr, "alertdesk config: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (strcmp(sub, "reference") == 0) {
        settings_reference_markdown(stdout);
        return 0;
    }
    if (strcmp(sub, "check") == 0 || strcmp(sub, "print") == 0) {
        settings_t s;
        if (cli_load_settings(config, &s) < 0) {
            return 1;
        }
        if (strcmp(sub, "print") == 0) {
            settings_print(&s, stdout);
        } else {
            printf("config ok%s%s\n", config ? ": " : " (defaults)", config ? config : "");
        }
        settings_free(&s);
        return 0;
    }
    fprintf(stdout, "Usage: alertdesk config check|print [--config FILE]\n"
                    "       alertdesk config reference   (Markdown table of every setting)\n");
    return strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 ? 0 : 2;
}

int cli_token(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "hash") != 0) {
        printf("Usage: alertdesk token hash < token-file\n"
               "Reads a token on standard input and prints its sha256 for auth.tokens, so\n"
               "the configuration never holds the token itself.\n");
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    char line[1024];
    if (!fgets(line, sizeof line, stdin)) {
        fprintf(stderr, "alertdesk token hash: no token on standard input\n");
        return 1;
    }
    line[strcspn(line, "\r\n")] = '\0';
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(line, strlen(line), md, &mdlen, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        printf("%02x", md[i]);
    }
    printf("\n");
    return 0;
}
