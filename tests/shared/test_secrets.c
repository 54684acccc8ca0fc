#include "secrets.h"
#include "sha256.h"
int main(void){return 0;}
