#include "log.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    log_init("target-postgres");
    log_error("not implemented yet");
    return 70;
}
