param($Name)

"Hello, $Name!" > hello.txt
