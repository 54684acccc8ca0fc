#include "log.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    log_init("tap-postgres");
    log_error("not implemented yet");
    return 70;
}
