#!/bin/sh
echo "arg=$1"
