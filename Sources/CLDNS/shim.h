#include <stdio.h>
#include <ldns/ldns.h>
