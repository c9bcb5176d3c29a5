// Command etcd is the etcd server at the version this module pins
// (go.etcd.io/etcd/server/v3), for ballast's live mode on a real etcd
// cluster (issue 15). 'make etcd' builds it into bin/etcd. It is a module
// of its own so that ballast's build and tests do not compile etcd.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
