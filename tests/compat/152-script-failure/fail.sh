#!/bin/sh
echo partial
exit 3
