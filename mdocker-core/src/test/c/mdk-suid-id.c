/*
 * mdk-suid-id: installed setuid root in the escape suite's test layer (mode 04710, group
 * SUID_GROUP only, so no user of the host can run it). Prints the ids it runs with: under
 * no_new_privs the setuid bit must grant nothing. It does nothing else.
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("uid=%d euid=%d\n", (int) getuid(), (int) geteuid());
    return 0;
}
